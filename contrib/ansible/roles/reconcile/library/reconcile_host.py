#!/usr/bin/python3
# The role on the host when reconcile cannot simply run (the action plugin
# runs it directly when the package and the desired state are already the
# controller's): reconcile installed (from the package or the bundle the
# action plugin sent), the desired state in place with the role's marker, the
# files the role placed before and no longer sends removed, then one reconcile
# run, whose raw result the action plugin reads. Every command is an argv
# list: no shell.

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
  marker: {description: "the role's marker among desired_files: the package and the files and directories it placed", type: str, required: true}
  run: {description: "install (only install and copy), plan or apply", type: str, default: apply}
  plan_argv: {description: "reconcile's --plan argv (from the action plugin), with {desired} for the desired-state directory", type: list, elements: str}
  apply_argv: {description: "reconcile's --apply argv (from the action plugin)", type: list, elements: str}
  report_path: {description: where --apply --report writes the host's report (the --check --report format), type: path, required: true}
"""

CACHE = "/var/cache/reconcile"


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


def placed_before(dest, marker):
    """What the role's marker on the host says it placed: (files, dirs); nothing when there is none."""
    try:
        with open(os.path.join(dest, marker)) as f:
            old = json.load(f)
        return set(old.get("files", [])), set(old.get("dirs", []))
    except (OSError, ValueError, AttributeError):
        return set(), set()


def place_desired(module, params, dest, write):
    """The desired state under dest, root-owned and not writable by others: the paths that differ(ed).

    What the role placed on an earlier run and no longer sends is removed, so a
    desired-state file deleted on the controller stops being applied; anything
    else found there is left alone, with a warning (reconcile loads every
    *.yaml in the directory).
    """
    changed = []
    files_before, dirs_before = placed_before(dest, params["marker"])
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
        except (FileNotFoundError, IsADirectoryError):
            same = False
        if not same:
            changed.append(path)
            if write:
                write_atomic(path, data, mode)
    files_now = set(f["path"] for f in params["desired_files"])
    dirs_now = set(params["desired_dirs"])
    for rel in sorted(files_before - files_now):
        path = os.path.join(dest, rel)
        if os.path.lexists(path) and not os.path.isdir(path):
            changed.append(path)
            if write:
                os.unlink(path)
    for rel in sorted(dirs_before - dirs_now, reverse=True):
        path = os.path.join(dest, rel)
        if os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path):
            changed.append(path)
            if write:
                os.rmdir(path)
    strays = []
    for top, subdirs, names in os.walk(dest):
        rel = os.path.relpath(top, dest)
        for name in subdirs + names:
            relpath = os.path.normpath(os.path.join(rel, name))
            if relpath not in files_now and relpath not in dirs_now and relpath not in files_before and relpath not in dirs_before:
                strays.append(relpath)
    if strays:
        module.warn("%s holds what the controller's desired state does not: %s. reconcile loads every *.yaml there, and runs this module (not the faster direct path) while they are there: remove them, or add them to reconcile_desired_src." % (dest, ", ".join(sorted(strays))))
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


def run_reconcile(module, argv):
    """One reconcile run, its result as the action plugin reads it (it decides what failed)."""
    rc, out, err = module.run_command(argv)
    return dict(cmd=argv, exit_code=rc, stdout=out, stderr=err)


def plan_argv(params, desired):
    return [desired if a == "{desired}" else a for a in params["plan_argv"]]


def check_mode_plan(module, params, desired_changed):
    """Plan against the controller's desired state; when the host's copy is stale, from a private temp copy."""
    if not desired_changed:
        return run_reconcile(module, plan_argv(params, params["desired_dest"]))
    tmp = tempfile.mkdtemp(prefix="reconcile-desired-")
    try:
        for d in params["desired_dirs"]:
            os.makedirs(os.path.join(tmp, d), exist_ok=True)
        for f in params["desired_files"]:
            with open(os.path.join(tmp, f["path"]), "wb") as out:
                out.write(base64.b64decode(f["content"]))
        return run_reconcile(module, plan_argv(params, tmp))
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
            marker=dict(type="str", required=True),
            run=dict(type="str", default="apply", choices=["install", "plan", "apply"]),
            plan_argv=dict(type="list", elements="str"),
            apply_argv=dict(type="list", elements="str"),
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

    desired_changed = place_desired(module, params, params["desired_dest"], write)
    result["desired_changed"] = desired_changed
    if desired_changed:
        result["changed"] = True

    if params["run"] == "plan":
        module.exit_json(run=check_mode_plan(module, params, desired_changed), **result)
    if params["run"] == "install":
        module.exit_json(**result)

    # One reconcile process: the apply, then the report a --check --report would write of the host as left.
    report_dir = os.path.dirname(params["report_path"])
    if not os.path.isdir(report_dir):
        root_dir(report_dir, True)
    apply_argv = params["apply_argv"]
    result["run"] = run_reconcile(module, apply_argv)
    # The JSON output carries the report; an apply that stopped before it still wrote one saying why.
    try:
        result["report"] = json.loads(result["run"]["stdout"])["report"]
    except (ValueError, KeyError, TypeError):
        try:
            with open(params["report_path"]) as f:
                result["report"] = json.load(f)
        except (OSError, ValueError):
            result["report"] = None
    module.exit_json(**result)


if __name__ == "__main__":
    main()
