//! The body cache: round trips, eviction under the cap, oversize bodies, damaged files.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime};

use mailroom::store::bodies::{FORMAT_VERSION, MAGIC};
use mailroom::store::{BodyCache, CacheKey};

const HEADER: u64 = 36;

fn key(mailbox: &str) -> CacheKey {
    CacheKey {
        account: "support".into(),
        server: "imap.example.test:993".into(),
        login: "alice".into(),
        mailbox: mailbox.into(),
    }
}

fn body(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn set_age(path: &Path, secs_ago: u64) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
        .unwrap();
}

#[test]
fn put_get_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BodyCache::new(dir.path().join("bodies"), 1 << 20);
    let k = key("INBOX");
    let raw = b"From: a@b\r\nSubject: \xe2\x9c\x89\r\n\r\nbinary \0\xff\r\n".to_vec();
    assert_eq!(cache.get(&k, 7, 1), None);
    cache.put(&k, 7, 1, &raw).unwrap();
    assert_eq!(cache.get(&k, 7, 1), Some(raw.clone()));
    // Another UID, UIDVALIDITY or mailbox is another message.
    assert_eq!(cache.get(&k, 7, 2), None);
    assert_eq!(cache.get(&k, 8, 1), None);
    assert_eq!(cache.get(&key("Sent"), 7, 1), None);
    // Empty bodies and overwrites.
    cache.put(&k, 7, 2, b"").unwrap();
    assert_eq!(cache.get(&k, 7, 2), Some(Vec::new()));
    cache.put(&k, 7, 1, b"new").unwrap();
    assert_eq!(cache.get(&k, 7, 1), Some(b"new".to_vec()));
}

#[test]
fn evicts_least_recently_used_until_under_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let each = 1000u64;
    // Room for three bodies, not four.
    let cache = BodyCache::new(dir.path().to_path_buf(), 3 * (each + HEADER) + 10);
    let k = key("INBOX");
    let other = key("Sent");
    for uid in 1..=3 {
        cache
            .put(&k, 1, uid, &body(uid as u8, each as usize))
            .unwrap();
    }
    set_age(&cache.path_for(&k, 1, 1), 300);
    set_age(&cache.path_for(&k, 1, 2), 200);
    set_age(&cache.path_for(&k, 1, 3), 100);
    // Reading 1 makes it the most recently used.
    assert!(cache.get(&k, 1, 1).is_some());

    // A fourth body, in another mailbox's directory: 2 (now the oldest) goes.
    cache.put(&other, 1, 4, &body(4, each as usize)).unwrap();
    assert!(!cache.path_for(&k, 1, 2).exists());
    for (kk, uid) in [(&k, 1), (&k, 3), (&other, 4)] {
        assert_eq!(cache.get(kk, 1, uid), Some(body(uid as u8, each as usize)));
    }

    // Make 3 the oldest again; a body twice the size pushes out two files.
    set_age(&cache.path_for(&k, 1, 1), 50);
    set_age(&cache.path_for(&k, 1, 3), 400);
    set_age(&cache.path_for(&other, 1, 4), 60);
    cache.put(&k, 1, 5, &body(5, 2 * each as usize)).unwrap();
    assert!(!cache.path_for(&k, 1, 3).exists());
    assert!(!cache.path_for(&other, 1, 4).exists());
    assert!(cache.path_for(&k, 1, 1).exists());
    assert_eq!(cache.get(&k, 1, 5), Some(body(5, 2 * each as usize)));
}

#[test]
fn the_new_body_survives_even_with_an_old_mtime_tie() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BodyCache::new(dir.path().to_path_buf(), 2 * (100 + HEADER));
    let k = key("INBOX");
    cache.put(&k, 1, 1, &[1; 100]).unwrap();
    cache.put(&k, 1, 2, &[2; 100]).unwrap();
    cache.put(&k, 1, 3, &[3; 100]).unwrap();
    assert_eq!(cache.get(&k, 1, 3), Some(vec![3; 100]));
}

#[test]
fn oversize_body_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let cap = 1000;
    let cache = BodyCache::new(dir.path().to_path_buf(), cap);
    let k = key("INBOX");
    cache.put(&k, 1, 1, &body(1, 100)).unwrap();
    cache.put(&k, 1, 2, &body(2, 5000)).unwrap();
    assert_eq!(cache.get(&k, 1, 2), None);
    // The smaller body was not evicted to make room for one that never fit.
    assert_eq!(cache.get(&k, 1, 1), Some(body(1, 100)));
    // Exactly at the cap fits (evicting the rest).
    let exact = body(3, (cap - HEADER) as usize);
    cache.put(&k, 1, 3, &exact).unwrap();
    assert_eq!(cache.get(&k, 1, 3), Some(exact));
    assert_eq!(cache.get(&k, 1, 1), None);

    let zero = BodyCache::new(dir.path().join("zero"), 0);
    zero.put(&k, 1, 1, b"").unwrap();
    assert_eq!(zero.get(&k, 1, 1), None);
}

#[test]
fn damaged_files_are_misses_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BodyCache::new(dir.path().to_path_buf(), 1 << 20);
    let k = key("INBOX");
    let raw = body(9, 4000);
    cache.put(&k, 5, 6, &raw).unwrap();
    let path = cache.path_for(&k, 5, 6);
    let good = fs::read(&path).unwrap();
    assert_eq!(good.len() as u64, HEADER + raw.len() as u64);
    assert_eq!(&good[..8], &MAGIC);
    assert_eq!(&good[8..12], &FORMAT_VERSION.to_le_bytes());

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("header only", good[..36].to_vec()),
        ("truncated header", good[..20].to_vec()),
        ("truncated body", good[..good.len() - 1].to_vec()),
        ("appended", [good.as_slice(), b"x"].concat()),
        ("garbage", vec![0xa5; good.len()]),
    ];
    let mut patch = |what, at: usize, bytes: &[u8]| {
        let mut b = good.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        cases.push((what, b));
    };
    patch("length header too small", 20, &3999u64.to_le_bytes());
    patch("length header huge", 20, &u64::MAX.to_le_bytes());
    patch("wrong uid", 16, &7u32.to_le_bytes());
    patch("wrong uidvalidity", 12, &4u32.to_le_bytes());
    patch("other version", 8, &2u32.to_le_bytes());
    patch("bad magic", 0, b"X");
    patch("flipped body byte", 1000, &[!good[1000]]);
    patch("bad checksum", 28, &[!good[28]]);

    for (what, bytes) in cases {
        fs::write(&path, &bytes).unwrap();
        assert_eq!(cache.get(&k, 5, 6), None, "{what}");
        assert!(!path.exists(), "{what}: damaged file kept");
    }
    // A directory where the file should be: a miss, no panic; put still reports an error.
    fs::create_dir_all(&path).unwrap();
    assert_eq!(cache.get(&k, 5, 6), None);
    assert!(cache.put(&k, 5, 6, &raw).is_err());
    fs::remove_dir(&path).unwrap();
    cache.put(&k, 5, 6, &raw).unwrap();
    assert_eq!(cache.get(&k, 5, 6), Some(raw));
}

#[test]
fn paths_are_hashed_inside_a_private_per_key_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bodies");
    let cache = BodyCache::new(root.clone(), 1 << 20);
    let hostile = CacheKey {
        account: "../..".into(),
        server: "/etc:22".into(),
        login: "root\n".into(),
        mailbox: "../../etc/passwd\0".into(),
    };
    let path = cache.path_for(&hostile, 1, 2);
    let sub = path.parent().unwrap();
    assert_eq!(sub.parent(), Some(root.as_path()));
    let sub_name = sub.file_name().unwrap().to_str().unwrap();
    let file = path.file_name().unwrap().to_str().unwrap();
    assert_eq!(sub_name.len(), 64);
    assert!(sub_name.bytes().all(|b| b.is_ascii_hexdigit()));
    let stem = file.strip_suffix(".body").unwrap();
    assert_eq!(stem.len(), 64);
    assert!(stem.bytes().all(|b| b.is_ascii_hexdigit()));
    // Same key, same directory; UID and UIDVALIDITY change the name.
    assert_eq!(cache.path_for(&hostile, 1, 3).parent(), Some(sub));
    assert_ne!(cache.path_for(&hostile, 1, 3), path);
    assert_ne!(cache.path_for(&hostile, 2, 2), path);

    cache.put(&hostile, 1, 2, b"x").unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    assert_eq!(mode(sub), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn stale_temp_files_are_cleared_and_fresh_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cache = BodyCache::new(dir.path().to_path_buf(), 1 << 20);
    let k = key("INBOX");
    cache.put(&k, 1, 1, b"a").unwrap();
    let sub = cache.path_for(&k, 1, 1).parent().unwrap().to_path_buf();
    let stale = sub.join(".x.body.1.1.tmp");
    let fresh = sub.join(".y.body.1.2.tmp");
    fs::write(&stale, b"half").unwrap();
    fs::write(&fresh, b"half").unwrap();
    set_age(&stale, 2 * 3600);
    cache.put(&k, 1, 2, b"b").unwrap();
    assert!(!stale.exists());
    assert!(fresh.exists());
}

#[test]
fn stray_files_and_symlinks_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.body");
    fs::write(&victim, vec![0u8; 5000]).unwrap();
    let cache = BodyCache::new(dir.path().to_path_buf(), 2000);
    fs::create_dir_all(dir.path()).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    fs::write(dir.path().join("README"), b"x").unwrap();
    let k = key("INBOX");
    cache.put(&k, 1, 1, &[1; 1000]).unwrap();
    cache.put(&k, 1, 2, &[2; 1000]).unwrap();
    assert!(victim.exists(), "eviction followed a symlink");
    assert!(dir.path().join("README").exists());
    assert_eq!(cache.get(&k, 1, 2), Some(vec![2; 1000]));
}
