//! `label -o` and its rejects file: what the target may be, what a signal leaves behind, and
//! that a rejects file always belongs to the output beside it.

use crate::common::*;
use std::path::{Path, PathBuf};

fn sample_input(dir: &Path) -> PathBuf {
    let input = dir.join("in.csv");
    std::fs::write(&input, SAMPLE).unwrap();
    input
}

/// Files in `dir` whose names start with a dot: the temporary files of an unfinished write.
fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[cfg(unix)]
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[cfg(unix)]
#[test]
fn output_through_a_symlink_replaces_its_target_and_keeps_the_link() {
    let dir = scratch("files_symlink");
    let input = sample_input(&dir);
    let real = dir.join("real.csv");
    std::fs::write(&real, "old\n").unwrap();
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink("real.csv", &link).unwrap();
    let dangling = dir.join("dangling.csv");
    std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
    for (out, file) in [(&link, &real), (&dangling, &dir.join("made.csv"))] {
        let o = run(&[
            "label",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let meta = std::fs::symlink_metadata(out).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "{} is still a link",
            out.display()
        );
        let rows = csv_rows(&std::fs::read_to_string(file).unwrap());
        assert_eq!(rows.len(), 4, "{} holds the labelled rows", file.display());
    }
    assert!(hidden_files(&dir).is_empty(), "{:?}", hidden_files(&dir));
}

/// A bad target is named in the error before the model is even looked at: `--model` points
/// nowhere, and the error is still about `-o`.
#[test]
fn a_folder_or_missing_folder_or_device_target_is_refused_before_any_work() {
    let dir = scratch("files_bad_target");
    let input = sample_input(&dir);
    let folder = dir.join("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let missing = dir.join("no-such-folder").join("out.csv");
    let mut cases = vec![
        (
            folder.clone(),
            "is a folder: name a file to write".to_string(),
        ),
        (
            missing.clone(),
            format!(
                "the folder {} does not exist",
                dir.join("no-such-folder").display()
            ),
        ),
    ];
    #[cfg(unix)]
    if is_root() {
        let device = dir.join("null-device");
        let made = std::process::Command::new("mknod")
            .args([device.to_str().unwrap(), "c", "1", "3"])
            .status()
            .unwrap();
        assert!(made.success());
        cases.push((
            device,
            "is a device or socket, not a file: name a file, or leave out -o and redirect \
             standard output"
                .into(),
        ));
    } else {
        eprintln!("not root: the device-node case is skipped (mknod needs root)");
    }
    for (out, message) in cases {
        let o = run(&[
            "label",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--model",
            dir.join("no-model").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", out.display());
        let err = stderr(&o);
        assert_eq!(
            err.trim_end(),
            format!("heihui: {}: {message}", out.display()),
            "{}",
            out.display()
        );
    }
    #[cfg(unix)]
    if is_root() {
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::symlink_metadata(dir.join("null-device")).unwrap();
        assert!(kind.file_type().is_char_device(), "the device node stays");
    }
    assert!(std::fs::read_dir(&folder).unwrap().next().is_none());
    assert!(hidden_files(&dir).is_empty(), "{:?}", hidden_files(&dir));
}

/// A folder heihui may not write in is an error naming the user's path and the folder, never
/// the hidden temporary file. As root (who may write anywhere) the binary runs as `nobody`.
#[cfg(unix)]
#[test]
fn a_read_only_folder_is_an_error_naming_the_users_path() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = scratch("files_read_only");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let input = sample_input(&dir);
    std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o644)).unwrap();
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = locked.join("out.csv");
    let mut cmd = heihui();
    cmd.args([
        "label",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--model",
        dir.join("no-model").to_str().unwrap(),
    ]);
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim_end(),
        format!(
            "heihui: {}: cannot write in the folder {}: permission denied",
            out.display(),
            locked.display()
        )
    );
    assert!(std::fs::read_dir(&locked).unwrap().next().is_none());
}

/// A FIFO is written to as a stream: a reader gets every row and the FIFO stays a FIFO.
#[cfg(target_os = "linux")]
#[test]
fn output_to_a_fifo_is_streamed_without_a_rename() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("files_fifo");
    let input = sample_input(&dir);
    let fifo = dir.join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Held open for reading and writing (which Linux allows without blocking), so heihui's
    // open does not wait for a reader and the test cannot hang whatever heihui does.
    let hold = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let o = run(&[
        "label",
        input.to_str().unwrap(),
        "-o",
        fifo.to_str().unwrap(),
        "-q",
    ]);
    let mut reader = std::fs::File::open(&fifo).unwrap();
    drop(hold);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(csv_rows(&text).len(), 4);
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO stays");
    assert!(hidden_files(&dir).is_empty(), "{:?}", hidden_files(&dir));
}

/// After a run, the rejects path holds that run's rejects or nothing: a clean run removes the
/// rejects an earlier run left beside the same output.
#[test]
fn a_clean_run_removes_the_rejects_of_an_earlier_run() {
    let dir = scratch("files_stale_rejects");
    let input = dir.join("in.csv");
    let out = dir.join("out.csv");
    let rejects = dir.join("out.rejects.csv");
    let label = || {
        run(&[
            "label",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ])
    };
    std::fs::write(&input, "id,text\n1,停息挂账\n2,a,b\n").unwrap();
    assert_eq!(label().status.code(), Some(1));
    assert_eq!(
        csv_rows(&std::fs::read_to_string(&rejects).unwrap()).len(),
        2
    );
    std::fs::write(&input, "id,text\n1,停息挂账\n2,还款\n").unwrap();
    let o = label();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!rejects.exists(), "the earlier run's rejects are gone");
    assert_eq!(csv_rows(&std::fs::read_to_string(&out).unwrap()).len(), 3);
    assert!(hidden_files(&dir).is_empty(), "{:?}", hidden_files(&dir));
}

/// SIGTERM halfway: exit 143, no temporary file left, and the earlier output and rejects
/// untouched (not truncated, not replaced by a half-written file).
#[cfg(unix)]
#[test]
fn sigterm_halfway_removes_temporary_files_and_exits_143() {
    let dir = scratch("files_sigterm");
    let input = dir.join("big.csv");
    let mut text = String::from("id,text\n1,a,b\n");
    for i in 2..200_000 {
        text.push_str(&format!(
            "{i},网贷逾期别慌，专业团队帮你停息挂账，第{i}位客户\n"
        ));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.join("out.csv");
    let rejects = dir.join("out.rejects.csv");
    std::fs::write(&out, "earlier output\n").unwrap();
    std::fs::write(&rejects, "earlier rejects\n").unwrap();
    let mut child = heihui()
        .args([
            "label",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
        ])
        .spawn()
        .unwrap();
    // Wait (polling, not timing the verdict) until both temporary files exist: the output's
    // is made before any work, the rejects' at the first reject, row 2.
    for _ in 0..6000 {
        if hidden_files(&dir).len() >= 2 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(hidden_files(&dir).len(), 2, "{:?}", hidden_files(&dir));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "{status:?}");
    assert!(hidden_files(&dir).is_empty(), "{:?}", hidden_files(&dir));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier output\n");
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        "earlier rejects\n"
    );
}
