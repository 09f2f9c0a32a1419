#!/usr/bin/python3
# reconcile --plan --format json as an Ansible module, so check mode can say
# "changed" when changes are pending and show reconcile's diffs with --diff.
# Read-only: it runs the same in check mode and out of it. No shell: argv list.

import json

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: reconcile_plan
short_description: Show what reconcile would change on this host
options:
  reconcile: {description: the reconcile command, type: path, default: /usr/local/bin/reconcile}
  desired: {description: desired-state file or directory, type: path, required: true}
  args: {description: extra arguments for --plan, type: list, elements: str, default: []}
"""

MARKER = {"create": "+", "update": "~", "delete": "-"}


def change_diff(change):
    """One Ansible diff entry per change: a unified diff for content, else reconcile's own lines."""
    target = change.get("target", "")
    content = change.get("content")
    if isinstance(content, dict) and content.get("before") != content.get("after"):
        return {
            "before_header": "%s (%s)" % (target, "absent" if content.get("before") is None else "now"),
            "after_header": "%s (%s)" % (target, "absent" if content.get("after") is None else "desired"),
            "before": content.get("before") or "",
            "after": content.get("after") or "",
        }
    lines = ["%s %s  (%s %s): %s" % (MARKER.get(change.get("action"), "?"), target, change.get("kind"), change.get("resource"), change.get("summary"))]
    for name, value in sorted((change.get("attributes") or {}).items()):
        lines.append("    %s: %s -> %s" % (name, value.get("before") or "(none)", value.get("after") or "(none)"))
    members = change.get("members") or {}
    lines.extend("    + %s" % m for m in members.get("add", []))
    lines.extend("    - %s" % m for m in members.get("remove", []))
    return {"prepared": "\n".join(lines) + "\n"}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            reconcile=dict(type="path", default="/usr/local/bin/reconcile"),
            desired=dict(type="path", required=True),
            args=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    argv = [module.params["reconcile"], "--plan", "--format", "json", "--desired", module.params["desired"]] + module.params["args"]
    rc, out, err = module.run_command(argv)
    if rc not in (0, 2):
        module.fail_json(msg="reconcile --plan failed (exit %d): %s" % (rc, (err or out).strip()), rc=rc, cmd=argv, stdout=out, stderr=err)
    try:
        plan = json.loads(out)
    except ValueError as e:
        module.fail_json(msg="reconcile --plan printed no JSON: %s" % e, rc=rc, cmd=argv, stdout=out, stderr=err)
    changes = plan.get("changes", [])
    # Not "rc": Ansible fails any task whose result has a non-zero rc, and 2 here means "changes pending".
    module.exit_json(
        changed=rc == 2,
        exit_code=rc,
        cmd=argv,
        plan=plan,
        pending=len(changes),
        diff=[change_diff(c) for c in changes],
        stderr=err,
    )


if __name__ == "__main__":
    main()
