# The controller's half of the reconcile_host task. Ansible's own cost is a
# Python start on the host for every module run (about 0.13 CPU-seconds, what
# a ping costs), so a host that already has this package and this desired
# state gets none: reconcile runs directly, as one quoted argv over the task's
# ssh connection, with --desired-digest. reconcile then refuses (exit 3, nothing
# done) unless the host's desired state is exactly the controller's, package
# marker included, and trusted; only then, or on a first run, does the module
# (library/reconcile_host.py) install, copy and run it. Either way it is one
# round trip a host when nothing is to install, and this file reads the result:
# the plan as the task's diff in check mode, else the apply's outcome and the
# report, written into reports_dir/<host>.json.

import base64
import hashlib
import json
import os
import shlex
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.hashing import checksum

MODULE_ARGS = ("reconcile", "bundle_dest", "bundle_entry", "desired_dest", "report_path")
# Written into desired_dest by the module: which package and which files the role put there.
MARKER = ".reconcile-role.json"
# reconcile --desired-digest: the host's desired state is not the expected one (nothing was done).
DIGEST_MISMATCH = 3
MARK = {"create": "+", "update": "~", "delete": "-"}


def desired_tree(src):
    """Every file under src (base64, executable or not, sha256) and every subdirectory, relative to src."""
    if not os.path.isdir(src):
        raise AnsibleActionFail("reconcile_desired_src %s is not a directory: give the directory of the desired state (*.yaml and the files they name)." % src)
    files, dirs = [], []
    for top, subdirs, names in os.walk(src):
        subdirs.sort()
        rel = os.path.relpath(top, src)
        if rel != ".":
            dirs.append(rel)
        for name in sorted(names):
            path = os.path.join(top, name)
            with open(path, "rb") as f:
                data = f.read()
            relpath = os.path.normpath(os.path.join(rel, name))
            if relpath == MARKER:
                raise AnsibleActionFail("%s: the role keeps its own %s in the host's desired-state directory; rename this file." % (path, MARKER))
            files.append({"path": relpath, "content": base64.b64encode(data).decode("ascii"), "executable": os.access(path, os.X_OK), "sha256": hashlib.sha256(data).hexdigest()})
    return files, dirs


def marker_file(package_checksum, files, dirs):
    """The role's marker, as one more desired file: the package, and what the role placed (to remove later)."""
    data = (json.dumps({"package": package_checksum, "files": sorted(f["path"] for f in files), "dirs": sorted(dirs)}, sort_keys=True, indent=1) + "\n").encode()
    return {"path": MARKER, "content": base64.b64encode(data).decode("ascii"), "executable": False, "sha256": hashlib.sha256(data).hexdigest()}


def desired_digest(files, dirs):
    """reconcile's desired-state digest (reconcile(8), --desired-digest) of the tree as the module lays it out."""
    records = [(b".", b"d - .\0")]
    records += [(os.fsencode(d), b"d - " + os.fsencode(d) + b"\0") for d in dirs]
    records += [(os.fsencode(f["path"]), b"f " + f["sha256"].encode() + b" " + os.fsencode(f["path"]) + b"\0") for f in files]
    records.sort(key=lambda r: r[0])
    return "sha256:" + hashlib.sha256(b"".join(r[1] for r in records)).hexdigest()


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
    lines = ["%s %s  (%s %s): %s" % (MARK.get(change.get("action"), "?"), target, change.get("kind"), change.get("resource"), change.get("summary"))]
    for name, value in sorted((change.get("attributes") or {}).items()):
        lines.append("    %s: %s -> %s" % (name, value.get("before") or "(none)", value.get("after") or "(none)"))
    members = change.get("members") or {}
    lines.extend("    + %s" % m for m in members.get("add", []))
    lines.extend("    - %s" % m for m in members.get("remove", []))
    return {"prepared": "\n".join(lines) + "\n"}


def parsed(text):
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else None
    except ValueError:
        return None


def failure_lines(out):
    """What failed, from the apply's JSON: its errors and failed outcomes, one line each."""
    lines = ["- %s: %s" % (e.get("resource"), e.get("message")) for e in out.get("errors") or []]
    lines += ["- %s (%s): %s" % (o.get("target"), o.get("resource"), o.get("message")) for o in out.get("outcomes") or [] if o.get("status") == "failed"]
    lines += ["- handler %s: %s" % (h.get("id"), h.get("message")) for h in out.get("handlers") or [] if h.get("status") == "failed"]
    return lines


def write_report(reports_dir, host, report):
    """reports_dir/<host>.json, atomically: --report-merge may read the directory meanwhile."""
    os.makedirs(reports_dir, mode=0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=reports_dir, prefix=".%s." % host)
    with os.fdopen(fd, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.rename(tmp, os.path.join(reports_dir, host + ".json"))


def run_argv(args, run, desired, digest=None):
    """reconcile's argv for this run: the plan (check mode) or the apply with its report, JSON either way."""
    if run == "plan":
        argv = [args["reconcile"], "--plan", "--format", "json", "--desired", desired]
    else:
        argv = [args["reconcile"], "--apply", "--detailed-exitcode", "--format", "json", "--desired", desired, "--report", args["report_path"]] + list(args.get("apply_args") or [])
    return argv + (["--desired-digest", digest] if digest else [])


class ActionModule(ActionBase):
    # Not True: ActionBase would then make (and later remove) a remote temp dir
    # on every run, three ssh round trips; the temp dir is made only to send the package.
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        deb, bundle = args.get("deb") or "", args.get("bundle") or ""
        if not deb and not bundle:
            raise AnsibleActionFail("Set reconcile_deb (a reconcile_<version>_all.deb) or reconcile_bundle (a tarball of the built project) for the reconcile role.")
        package = os.path.expanduser(deb or bundle)
        if not os.path.isfile(package):
            raise AnsibleActionFail("%s: no such file on the controller; set %s to the built file." % (package, "reconcile_deb" if deb else "reconcile_bundle"))
        package_checksum = checksum(package)
        files, dirs = desired_tree(os.path.expanduser(args["desired_src"]))
        files.append(marker_file(package_checksum, files, dirs))
        run = "install" if boolean(args.get("install_only", False)) else "plan" if self._play_context.check_mode else "apply"

        host_result = None if run == "install" else self._direct(args, run, desired_digest(files, dirs))
        if host_result is None:
            host_result = self._with_module(args, task_vars, run, package, package_checksum, files, dirs)
        result.update(host_result)
        if run == "plan":
            self._read_plan(result)
        elif run == "apply":
            self._read_apply(result)
        report = result.pop("report", None)
        if report is not None and args.get("reports_dir"):
            write_report(os.path.expanduser(args["reports_dir"]), task_vars.get("inventory_hostname", "unknown"), report)
        return result

    def _direct(self, args, run, digest):
        """reconcile run directly, no module; None when the host first needs the module (package or desired state)."""
        argv = run_argv(args, run, args["desired_dest"], digest)
        res = self._remote(argv)
        rc, out, err = res.get("rc"), res.get("stdout", ""), res.get("stderr", "")
        # 126/127: no reconcile (or no node) yet. A reconcile older than
        # --desired-digest says so; the module installs this package first.
        if rc in (DIGEST_MISMATCH, 126, 127) or (rc == 1 and "unknown option --desired-digest" in err):
            return None
        host = {"changed": False, "installed": False, "desired_changed": [], "path": "direct", "run": dict(cmd=argv, exit_code=rc, stdout=out, stderr=err)}
        if run == "apply":
            host["report"] = (parsed(out) or {}).get("report")
            if host["report"] is None:
                # An apply that stopped before its report said why in the file.
                cat = self._remote(["cat", args["report_path"]])
                host["report"] = parsed(cat.get("stdout", "")) if cat.get("rc") == 0 else None
        return host

    def _remote(self, argv):
        """One command on the host, as become would run it. The argv is quoted element by element: the remote
        shell that runs every Ansible command (the module's Python too) interprets none of it. Some stdin, as a
        pipelined module has: ssh then makes no pseudo-terminal, which would mix stderr into stdout."""
        return self._low_level_execute_command(" ".join(shlex.quote(a) for a in argv), sudoable=True, in_data=b"\n")

    def _with_module(self, args, task_vars, run, package, package_checksum, files, dirs):
        """The module: installs the package when the host lacks it, puts the desired state in place, runs reconcile."""
        module_args = {k: args[k] for k in MODULE_ARGS if k in args}
        module_args.update(
            package_kind="deb" if args.get("deb") else "bundle",
            package_name=os.path.basename(package),
            package_checksum=package_checksum,
            desired_files=[{k: f[k] for k in ("path", "content", "executable")} for f in files],
            desired_dirs=dirs,
            marker=MARKER,
            run=run,
            plan_argv=run_argv(args, "plan", "{desired}"),
            apply_argv=run_argv(args, "apply", args["desired_dest"]),
        )
        try:
            host_result = self._execute_module("reconcile_host", module_args=module_args, task_vars=task_vars)
            if host_result.get("needs_package"):
                # Only on a first install or a new package: the one transfer.
                remote = self._connection._shell.join_path(self._connection._shell.tmpdir or self._make_tmp_path(), os.path.basename(package))
                self._transfer_file(package, remote)
                self._fixup_perms2((self._connection._shell.tmpdir, remote))
                host_result = self._execute_module("reconcile_host", module_args=dict(module_args, package_src=remote), task_vars=task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        host_result["path"] = "module"
        return host_result

    def _read_plan(self, result):
        """Check mode: "changed" when changes are pending, reconcile's diffs as the task's diff, the plan as the report."""
        if result.get("failed") or "run" not in result:
            return
        run = result.pop("run")
        result["cmd"] = run["cmd"]
        rc = run["exit_code"]
        plan = parsed(run["stdout"]) if rc in (0, 2) else None
        if plan is None:
            why = "printed no JSON" if rc in (0, 2) else "failed (exit %s)" % rc
            result.update(failed=True, msg="reconcile --plan %s: %s" % (why, (run["stderr"] or run["stdout"]).strip()))
            return
        changes = plan.get("changes", [])
        # Not "rc": Ansible fails any task whose result has a non-zero rc, and 2 here means "changes pending".
        result.update(changed=result.get("changed", False) or rc == 2, exit_code=rc, pending=len(changes), plan=plan, report=plan,
                      diff=[change_diff(c) for c in changes], stderr=run["stderr"])

    def _read_apply(self, result):
        """0 ok, 2 changed, anything else failed (its report still goes to the fleet table)."""
        if result.get("failed") or "run" not in result:
            return
        run = result.pop("run")
        result["apply"] = run
        rc = run["exit_code"]
        if rc == 2:
            result["changed"] = True
        if rc not in (0, 2):
            out = parsed(run["stdout"]) or {}
            detail = "\n".join([run["stderr"].strip()] + failure_lines(out)).strip()
            result.update(failed=True, msg="reconcile --apply failed (exit %s):\n%s" % (rc, detail or run["stdout"].strip()))
        elif result.get("report") is None:
            result.update(failed=True, msg="reconcile --apply --report wrote no readable report at %s: %s" % (self._task.args["report_path"], run["stderr"].strip()))
