# The controller's half of the reconcile_host task: it reads the desired state
# and the package's checksum here, runs the module once on the host, sends the
# package only when the host says it lacks it, and writes the host's report
# into reports_dir/<host>.json. One task and (when nothing is to install) one
# round trip a host, where the builtin copy/unarchive/fetch cost a dozen.

import base64
import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.hashing import checksum

MODULE_ARGS = ("reconcile", "bundle_dest", "bundle_entry", "desired_dest", "apply_args", "report_path")


def desired_tree(src):
    """Every file under src (base64, executable or not) and every subdirectory, relative to src."""
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
                content = base64.b64encode(f.read()).decode("ascii")
            files.append({"path": os.path.normpath(os.path.join(rel, name)), "content": content, "executable": os.access(path, os.X_OK)})
    return files, dirs


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
        files, dirs = desired_tree(os.path.expanduser(args["desired_src"]))
        run = "install" if boolean(args.get("install_only", False)) else "plan" if self._play_context.check_mode else "apply"
        module_args = {k: args[k] for k in MODULE_ARGS if k in args}
        module_args.update(
            package_kind="deb" if deb else "bundle",
            package_name=os.path.basename(package),
            package_checksum=checksum(package),
            desired_files=files,
            desired_dirs=dirs,
            run=run,
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
        result.update(host_result)
        # In check mode the plan is the report; a failed apply still brings its report.
        report = host_result.get("report")
        if report is not None and args.get("reports_dir"):
            write_report(os.path.expanduser(args["reports_dir"]), task_vars.get("inventory_hostname", "unknown"), report)
        result.pop("report", None)
        return result
