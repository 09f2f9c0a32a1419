#!/usr/bin/python3
# The whole role on the host in one module run: reconcile installed (from the
# package or the bundle the action plugin sent), the desired state in place,
# then the plan (check mode) or the apply with its report (one reconcile
# run). Ansible costs a round trip and a Python start per task and host; one
# task keeps a fleet run close to Ansible's own no-op. Every command is an
# argv list: no shell.

import base64
import glob
import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: reconcile_host
short_description: Install reconcile, put the desired state in place, plan or apply (called by the reconcile action plugin)
options:
  reconcile: {description: the reconcile command, type: path, required: true}
  package_kind: {description: deb or bundle, type: str, required: true}
  package_name: {description: the package file's name, type: str, required: true}
  package_checksum: {description: sha1 of the package file on the controller, type: str, required: true}
  package_src: {description: the package sent to the host (set by the action plugin when it is needed), type: path}
  bundle_dest: {description: where the bundle is unpacked, type: path, default: /opt/reconcile}
  bundle_entry: {description: the command inside the unpacked bundle, type: str, default: dist/bundle/reconcile.cjs}
  desired_dest: {description: the desired-state directory on the host, type: path, required: true}
  desired_files: {description: "[{path, content (base64), executable}] relative to desired_dest", type: list, elements: dict, default: []}
  desired_dirs: {description: subdirectories relative to desired_dest, type: list, elements: str, default: []}
  run: {description: "install (only install and copy), plan or apply", type: str, default: apply}
  apply_args: {description: extra arguments for --apply, type: list, elements: str, default: []}
  report_path: {description: where --apply --report writes the host's report (the --check --report format), type: path, required: true}
"""

CACHE = "/var/cache/reconcile"
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


def write_atomic(path, data, mode):
    """temp + fsync + rename beside the target, root-owned with the given mode."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".reconcile-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chown(tmp, 0, 0)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def root_dir(path, write):
    """A directory root:root 0755; True when it was (or would be) created or fixed."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if write:
            os.mkdir(path, 0o755)
            os.chown(path, 0, 0)
            os.chmod(path, 0o755)
        return True
    if (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o755):
        return False
    if write:
        os.chown(path, 0, 0)
        os.chmod(path, 0o755)
    return True


def place_desired(params, dest, write):
    """The desired state under dest, root-owned and not writable by others: the paths that differ(ed)."""
    changed = []
    for d in [os.path.dirname(dest), dest] + [os.path.join(dest, s) for s in params["desired_dirs"]]:
        if root_dir(d, write):
            changed.append(d)
    for f in params["desired_files"]:
        path = os.path.join(dest, f["path"])
        data = base64.b64decode(f["content"])
        mode = 0o755 if f.get("executable") else 0o644
        try:
            st = os.lstat(path)
            with open(path, "rb") as cur:
                same = cur.read() == data and (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, mode) and not os.path.islink(path)
        except FileNotFoundError:
            same = False
        if not same:
            changed.append(path)
            if write:
                write_atomic(path, data, mode)
    return changed


def installed(module, params):
    """Is the package the controller has (by checksum) the one installed here?"""
    if not os.path.exists(params["reconcile"]):
        return False
    if params["package_kind"] == "bundle":
        return os.path.exists(os.path.join(params["bundle_dest"], ".bundle-" + params["package_checksum"]))
    cached = os.path.join(CACHE, params["package_name"])
    return os.path.exists(cached) and module.sha1(cached) == params["package_checksum"]


def install(module, params):
    """Unpack the bundle (or install the package) that the action plugin sent."""
    src = params["package_src"]
    root_dir(CACHE, True)
    if params["package_kind"] == "deb":
        cached = os.path.join(CACHE, params["package_name"])
        shutil.copyfile(src, cached + ".new")
        os.chmod(cached + ".new", 0o644)
        os.rename(cached + ".new", cached)
        # apt resolves the nodejs dependency from the host's sources.
        module.run_command(["apt-get", "install", "-y", "-q", "--no-install-recommends", cached], check_rc=True, environ_update={"DEBIAN_FRONTEND": "noninteractive"})
        return
    dest = params["bundle_dest"]
    root_dir(dest, True)
    # Owned by root with root's umask, whatever the archive says: nobody else may write what root runs.
    module.run_command(["tar", "-xzf", src, "-C", dest, "--no-same-owner", "--no-same-permissions"], check_rc=True)
    for old in glob.glob(os.path.join(dest, ".bundle-*")):
        os.unlink(old)
    write_atomic(os.path.join(dest, ".bundle-" + params["package_checksum"]), (params["package_checksum"] + "\n").encode(), 0o644)
    link = params["reconcile"]
    tmp = link + ".reconcile-new"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.join(dest, params["bundle_entry"]), tmp)
    os.rename(tmp, link)


def plan(module, params, desired):
    argv = [params["reconcile"], "--plan", "--format", "json", "--desired", desired]
    rc, out, err = module.run_command(argv)
    if rc not in (0, 2):
        module.fail_json(msg="reconcile --plan failed (exit %d): %s" % (rc, (err or out).strip()), exit_code=rc, cmd=argv, stdout=out, stderr=err)
    try:
        return rc, json.loads(out), err
    except ValueError as e:
        module.fail_json(msg="reconcile --plan printed no JSON: %s" % e, exit_code=rc, cmd=argv, stdout=out, stderr=err)


def check_mode_plan(module, params, desired_changed):
    """Plan against the controller's desired state; when the host's copy is stale, from a private temp copy."""
    if not desired_changed:
        return plan(module, params, params["desired_dest"])
    tmp = tempfile.mkdtemp(prefix="reconcile-desired-")
    try:
        for d in params["desired_dirs"]:
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        for f in params["desired_files"]:
            with open(os.path.join(tmp, f["path"]), "wb") as out:
                out.write(base64.b64decode(f["content"]))
        return plan(module, params, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            reconcile=dict(type="path", required=True),
            package_kind=dict(type="str", required=True, choices=["deb", "bundle"]),
            package_name=dict(type="str", required=True),
            package_checksum=dict(type="str", required=True),
            package_src=dict(type="path"),
            bundle_dest=dict(type="path", default="/opt/reconcile"),
            bundle_entry=dict(type="str", default="dist/bundle/reconcile.cjs"),
            desired_dest=dict(type="path", required=True),
            desired_files=dict(type="list", elements="dict", default=[], no_log=True),
            desired_dirs=dict(type="list", elements="str", default=[]),
            run=dict(type="str", default="apply", choices=["install", "plan", "apply"]),
            apply_args=dict(type="list", elements="str", default=[]),
            report_path=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    write = not module.check_mode
    result = dict(changed=False, installed=False)

    if params["package_src"]:
        install(module, params)
        result.update(changed=True, installed=True)
    elif not installed(module, params):
        if write:
            # Nothing touched yet: the action plugin sends the package and calls again.
            module.exit_json(changed=False, needs_package=True)
        result.update(changed=True, installed=True)
        if not os.path.exists(params["reconcile"]):
            module.fail_json(msg="reconcile is not installed on this host, so check mode cannot plan: run the role once without --check (or with --tags reconcile_install).", **result)

    desired_changed = place_desired(params, params["desired_dest"], write)
    result["desired_changed"] = desired_changed
    if desired_changed:
        result["changed"] = True

    if params["run"] == "plan":
        rc, planned, err = check_mode_plan(module, params, desired_changed)
        changes = planned.get("changes", [])
        # Not "rc": Ansible fails any task whose result has a non-zero rc, and 2 here means "changes pending".
        module.exit_json(changed=result["changed"] or rc == 2, installed=result["installed"], desired_changed=desired_changed,
                         exit_code=rc, pending=len(changes), plan=planned, report=planned, diff=[change_diff(c) for c in changes], stderr=err)
    if params["run"] == "install":
        module.exit_json(**result)

    # One reconcile process: the apply, then the report a --check --report would write of the host as left.
    report_dir = os.path.dirname(params["report_path"])
    if not os.path.isdir(report_dir):
        root_dir(report_dir, True)
    apply_argv = [params["reconcile"], "--apply", "--detailed-exitcode", "--desired", params["desired_dest"], "--report", params["report_path"]] + params["apply_args"]
    apply_rc, apply_out, apply_err = module.run_command(apply_argv)
    result["apply"] = dict(cmd=apply_argv, exit_code=apply_rc, stdout=apply_out, stderr=apply_err)
    if apply_rc == 2:
        result["changed"] = True
    # A failed apply still writes its report (the fleet table shows why), then fails the host.
    try:
        with open(params["report_path"]) as f:
            result["report"] = json.load(f)
    except (OSError, ValueError) as e:
        result["report"] = None
        result["report_error"] = str(e)
    if apply_rc not in (0, 2):
        module.fail_json(msg="reconcile --apply failed (exit %d):\n%s\n%s" % (apply_rc, apply_out, apply_err), **result)
    if result["report"] is None:
        module.fail_json(msg="reconcile --apply --report wrote no readable report at %s: %s" % (params["report_path"], result["report_error"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
