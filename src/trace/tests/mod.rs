//! Each trace reader on small files written the way the real formats are: what it
//! yields, what it counts as bad (with line numbers), where it stops.

use std::io::{BufReader, Write};
use std::path::Path;

use super::*;
use crate::time::SimTime;

pub(super) fn model(file: &Path, format: TraceFormat) -> TraceModel {
    TraceModel {
        name: "t".into(),
        file: file.to_owned(),
        zstd: false,
        format,
        start: SimTime::ZERO,
        max_bad_lines: 100,
        digest: Default::default(),
        max_age_zero: MaxAgeZero::Share(0.0),
        resource: 3,
        principal: 1,
        enabled: true,
        recording: Default::default(),
        read_ahead: false,
        check_in_run: Default::default(),
    }
}

fn all(model: &TraceModel) -> Result<(Vec<TraceRequest>, Tally), TraceError> {
    let mut source = open(model)?;
    let mut out = Vec::new();
    let mut r = TraceRequest::default();
    while source.next(&mut r)? {
        out.push(r);
    }
    // Asked again (as a run taking the check asks its feed's reader), it ends again.
    assert!(!source.next(&mut r)?, "a trace read to its end yields more");
    Ok((out, source.tally().clone()))
}

/// Every record of `source`, read `batch` at a time with `next_ids`.
fn in_batches(source: &mut (impl TraceSource + ?Sized), batch: usize) -> Vec<IdRecord> {
    let mut got = Vec::new();
    let mut buf = vec![IdRecord::default(); batch];
    loop {
        let n = source.next_ids(&mut buf, SimDuration::MAX).unwrap();
        got.extend_from_slice(&buf[..n]);
        if n < batch {
            return got;
        }
    }
}

/// An object-id trace's requests as records, checking that nothing is lost: every one is
/// for the trace's resource and principal, with no parameters or `max-age=0` of its own.
fn as_ids(requests: &[TraceRequest]) -> Vec<IdRecord> {
    requests
        .iter()
        .map(|r| {
            assert_eq!((r.resource, r.principal), (3, 1));
            assert_eq!((r.params, r.max_age_zero), (None, None));
            IdRecord::from(r)
        })
        .collect()
}

pub(super) fn oracle_record(t: u32, id: u64, size: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(t.to_le_bytes());
    v.extend(id.to_le_bytes());
    v.extend(size.to_le_bytes());
    v.extend((-1i64).to_le_bytes());
    v
}

#[test]
fn oracle_general_records_decode_across_buffer_fills_and_a_partial_tail_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bin");
    let mut bytes: Vec<u8> = (0..50u32)
        .flat_map(|i| oracle_record(1_000 + i / 10, u64::from(i % 7) << 40, i * 3))
        .collect();
    bytes.extend([1, 2, 3]);
    std::fs::write(&path, &bytes).unwrap();
    let m = model(&path, TraceFormat::OracleGeneral);
    // A 7-byte buffer splits almost every record.
    let mut source = binary::OracleGeneral::new(
        &m,
        BufReader::with_capacity(7, std::fs::File::open(&path).unwrap()),
    );
    let mut r = TraceRequest::default();
    let mut got = Vec::new();
    while source.next(&mut r).unwrap() {
        got.push(r);
    }
    assert_eq!(got.len(), 50);
    for (i, r) in got.iter().enumerate() {
        let i = i as u32;
        assert_eq!(r.key, u64::from(i % 7) << 40);
        assert_eq!(
            r.at,
            SimDuration::from_secs(u64::from(i / 10)),
            "relative to the first"
        );
        assert_eq!(
            r.size,
            (i > 0).then_some(u64::from(i * 3)),
            "size 0 means unknown"
        );
        assert_eq!((r.resource, r.principal), (3, 1));
    }
    assert_eq!(source.tally().bad, 1);
    assert_eq!(
        source.tally().first_bad,
        ["line 51: a partial record at the end of the file"]
    );
    assert_eq!(source.tally().span, SimDuration::from_secs(4));
}

#[test]
fn oracle_general_batches_read_what_single_records_do_and_stop_after_until() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bin");
    let mut bytes: Vec<u8> = (0..500u32)
        .flat_map(|i| oracle_record(i / 10, u64::from(i) * 0x9E37, i % 5))
        .collect();
    bytes.extend([9, 9]);
    std::fs::write(&path, &bytes).unwrap();
    let m = model(&path, TraceFormat::OracleGeneral);
    let (one_by_one, tally) = all(&m).unwrap();
    assert_eq!(one_by_one.len(), 500);
    // Buffers that split records (7, 100), hold a few whole ones (240) or many (1 << 18);
    // batches of 1, 16 and more than a buffer holds.
    for capacity in [7, 100, 240, 1 << 18] {
        for batch in [1, 16, 333] {
            let file = std::fs::File::open(&path).unwrap();
            let mut source =
                binary::OracleGeneral::new(&m, BufReader::with_capacity(capacity, file));
            let got = in_batches(&mut source, batch);
            assert_eq!(got, as_ids(&one_by_one), "buffer {capacity}, batch {batch}");
            assert_eq!(*source.tally(), tally, "buffer {capacity}, batch {batch}");
        }
    }
    // A batch ends with the first record at or after `until` (second 7 starts at record
    // 70), and the next batch goes on from the record after it.
    let file = std::fs::File::open(&path).unwrap();
    let mut source = binary::OracleGeneral::new(&m, BufReader::with_capacity(100, file));
    let mut buf = vec![IdRecord::default(); 100];
    let ids = as_ids(&one_by_one);
    assert_eq!(
        source
            .next_ids(&mut buf, SimDuration::from_secs(7))
            .unwrap(),
        71
    );
    assert_eq!(buf[..71], ids[..71]);
    assert_eq!(source.next_ids(&mut buf, SimDuration::MAX).unwrap(), 100);
    assert_eq!(buf[0], ids[71]);
}

#[test]
fn zstd_compressed_traces_read_the_same_as_plain_ones_and_hash_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..1_000u32)
        .flat_map(|i| oracle_record(i / 100, u64::from(i * 31 % 97), 100))
        .collect();
    let plain = dir.path().join("t.bin");
    let packed = dir.path().join("t.bin.zst");
    std::fs::write(&plain, &bytes).unwrap();
    // A skippable frame after the data: a decoder may stop before the file's end.
    let mut stored = zstd::encode_all(&bytes[..], 3).unwrap();
    stored.extend([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
    std::fs::write(&packed, &stored).unwrap();
    let a = all(&model(&plain, TraceFormat::OracleGeneral)).unwrap();
    let mut m = model(&packed, TraceFormat::OracleGeneral);
    m.zstd = true;
    let b = all(&m).unwrap();
    assert_eq!(a.0.len(), 1_000);
    assert_eq!(a, b);
    // The check hashes the bytes stored, from the read it parses.
    let far = SimTime::from_micros(u64::MAX);
    let digest = |m: &TraceModel| record(m, far, far, 0, true, None).unwrap().digest.unwrap();
    let plain_model = model(&plain, TraceFormat::OracleGeneral);
    assert_eq!(digest(&plain_model), xxh3_128(&bytes));
    assert_eq!(digest(&m), xxh3_128(&stored));
    let (mut plain_sha, mut m_sha) = (plain_model.clone(), m.clone());
    plain_sha.digest = crate::trace::Digest::Sha256;
    m_sha.digest = crate::trace::Digest::Sha256;
    assert_eq!(
        digest(&plain_sha),
        format!("sha256:{}", crate::checksum::sha256(&bytes))
    );
    assert_eq!(
        digest(&m_sha),
        format!("sha256:{}", crate::checksum::sha256(&stored))
    );
    // The bytes read as stored are counted on the check's progress bar.
    for (model, len) in [(&plain_model, bytes.len()), (&m, stored.len())] {
        let bar = indicatif::ProgressBar::hidden();
        record(model, far, far, 0, false, Some(&bar)).unwrap();
        assert_eq!(bar.position(), len as u64);
    }
    // A plain file read as zstd is an error, not garbage.
    let mut wrong = model(&plain, TraceFormat::OracleGeneral);
    wrong.zstd = true;
    let e = all(&wrong).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read the trace", plain.display())),
        "{e}"
    );
}

#[test]
fn text_ids_are_numbers_or_hashed_names_spaced_at_the_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    std::fs::write(
        &path,
        "42\r\n\n  7 \nobject-a\nobject-a\n18446744073709551615\n",
    )
    .unwrap();
    let (got, tally) = all(&model(&path, TraceFormat::Text { rate: 4.0 })).unwrap();
    let keys: Vec<u64> = got.iter().map(|r| r.key).collect();
    assert_eq!(
        keys,
        [
            42,
            7,
            hash_text(b"object-a"),
            hash_text(b"object-a"),
            hash_text(b"18446744073709551615")
        ]
    );
    let times: Vec<u64> = got.iter().map(|r| r.at.as_micros()).collect();
    assert_eq!(times, [0, 250_000, 500_000, 750_000, 1_000_000]);
    assert_eq!(tally.bad, 0, "blank lines are not records");
}

#[test]
fn text_batches_read_what_single_lines_do_and_stop_after_until() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.txt");
    // Plain numbers of every length up to 19 digits, 20 digits (hashed), leading zeros,
    // names, CRLF, spaces, blank lines, a lone `0`, and a last line with no newline.
    let mut text = String::new();
    for i in 0..300u64 {
        match i % 9 {
            0 => text.push_str(&format!("{}\n", 10u64.pow((i % 19) as u32) + i)),
            1 => text.push_str(&format!("{}\r\n", i * 7)),
            2 => text.push_str(&format!("  {i} \n")),
            3 => text.push('\n'),
            4 => text.push_str(&format!("object-{i}\n")),
            5 => text.push_str("12345678901234567890\n"),
            6 => text.push_str(&format!("000{i}\n")),
            7 => text.push_str("0\n"),
            _ => text.push_str(&format!("{}\n", u64::MAX / (i + 1))),
        }
    }
    text.push_str("77");
    std::fs::write(&path, &text).unwrap();
    let m = model(&path, TraceFormat::Text { rate: 1_000.0 });
    let (one_by_one, tally) = all(&m).unwrap();
    assert_eq!(
        one_by_one.len(),
        300 - 300 / 9 + 1,
        "blank lines skipped, the last kept"
    );
    for capacity in [5, 64, 1_000, 1 << 18] {
        for batch in [1, 16, 333] {
            let file = std::fs::File::open(&path).unwrap();
            let mut source = text::Text::new(&m, BufReader::with_capacity(capacity, file));
            let got = in_batches(&mut source, batch);
            assert_eq!(got, as_ids(&one_by_one), "buffer {capacity}, batch {batch}");
            assert_eq!(*source.tally(), tally, "buffer {capacity}, batch {batch}");
        }
    }
    // At 1,000 requests a second, request 100 is the first at or after 100 ms.
    let file = std::fs::File::open(&path).unwrap();
    let mut source = text::Text::new(&m, BufReader::with_capacity(64, file));
    let mut buf = vec![IdRecord::default(); 200];
    let ids = as_ids(&one_by_one);
    let until = SimDuration::from_millis(100);
    assert_eq!(source.next_ids(&mut buf, until).unwrap(), 101);
    assert_eq!(buf[..101], ids[..101]);
    assert_eq!(source.next_ids(&mut buf[..5], SimDuration::MAX).unwrap(), 5);
    assert_eq!(buf[0], ids[101]);
}

#[test]
fn csv_columns_by_name_or_number_and_bad_rows_are_counted_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(
        &path,
        "ts,key,bytes\n100.5,a,10\n101,b,20\nsoon,c,30\n102,,40\n103,a,-1\n104,d,50\n",
    )
    .unwrap();
    let csv = |time, id, size| TraceFormat::Csv {
        time,
        id,
        size,
        time_unit_us: 1e6,
        rate: 1.0,
        header: true,
        delimiter: b',',
    };
    let (got, tally) = all(&model(
        &path,
        csv(
            Some(Column::Name("ts".into())),
            Column::Name("key".into()),
            Some(Column::Index(2)),
        ),
    ))
    .unwrap();
    let rows: Vec<(u64, u64, Option<u64>)> = got
        .iter()
        .map(|r| (r.at.as_micros(), r.key, r.size))
        .collect();
    // Read as records (the default `next_ids`, through `next`), in batches of 2.
    let m = model(
        &path,
        csv(
            Some(Column::Name("ts".into())),
            Column::Name("key".into()),
            Some(Column::Index(2)),
        ),
    );
    assert_eq!(in_batches(&mut *open(&m).unwrap(), 2), as_ids(&got));
    assert_eq!(
        rows,
        [
            (0, hash_text(b"a"), Some(10)),
            (500_000, hash_text(b"b"), Some(20)),
            (3_500_000, hash_text(b"d"), Some(50)),
        ]
    );
    assert_eq!(tally.bad, 3);
    assert_eq!(
        tally.first_bad,
        [
            "line 4: the time is not a non-negative number",
            "line 5: no object id",
            "line 6: the size is not a non-negative number",
        ]
    );
    // Past the limit the replay stops, naming the file and the first bad lines.
    let mut strict = model(&path, csv(Some(Column::Index(0)), Column::Index(1), None));
    strict.max_bad_lines = 1;
    let e = all(&strict).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: 2 records did not parse, more than max_bad_lines = 1 (line 4: the time is not a non-negative number; line 5: no object id)",
            path.display()
        )
    );
    let missing = model(&path, csv(None, Column::Name("object".into()), None));
    assert_eq!(
        all(&missing).unwrap_err().to_string(),
        format!("{}: the header has no column `object`", path.display())
    );
}

fn access_spec() -> TraceFormat {
    let path = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
    TraceFormat::AccessLog(AccessLogSpec {
        time: path("requestTimeEpoch"),
        method: path("httpMethod"),
        resource_path: path("resourcePath"),
        path: path("path"),
        principal: Some(path("identity.userArn")),
        response_length: Some(path("responseLength")),
        routes: vec![
            ("GET".into(), "/pets/{petId}".into(), 0),
            ("GET".into(), "/pets".into(), 1),
        ],
        principals: vec![("arn:aws:iam::123456789012:user/ops".into(), 2)],
    })
}

#[test]
fn access_logs_map_fields_principals_and_the_max_age_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let mut f = std::fs::File::create(&path).unwrap();
    // As CloudWatch Logs exports them: a timestamp, then the JSON message.
    for line in [
        r#"2026-11-24T06:06:45.000Z {"requestId":"1","requestTimeEpoch":1764000000000,"httpMethod":"GET","resourcePath":"/pets/{petId}","path":"/prod/pets/42","status":200,"responseLength":"512","identity":{"userArn":"-"},"cacheControl":"-"}"#,
        r#"{"requestTimeEpoch":"1764000000250","httpMethod":"get","resourcePath":"/pets/{petId}","path":"/pets/43","status":200,"responseLength":600,"identity.userArn":"arn:aws:iam::123456789012:user/ops","cacheControl":"max-age=0"}"#,
        r#"{"requestTimeEpoch":1764000001000,"httpMethod":"POST","resourcePath":"/pets","path":"/prod/pets","status":201}"#,
        r#"not json at all"#,
        "",
        r#"{"requestTimeEpoch":1764000002000,"httpMethod":"GET","resourcePath":"/pets","path":"/prod/pets","responseLength":"-"}"#,
    ] {
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    let mut m = model(&path, access_spec());
    m.max_age_zero = MaxAgeZero::Field(FieldRule {
        field: vec!["cacheControl".into()],
        equals: None,
        contains: Some("max-age=0".into()),
    });
    let (got, tally) = all(&m).unwrap();
    assert_eq!(got.len(), 3);
    let (a, b, c) = (got[0], got[1], got[2]);
    assert_eq!(
        (a.resource, a.principal, a.size),
        (0, 1, Some(512)),
        "unmapped caller: the trace's principal"
    );
    assert_eq!((b.resource, b.principal, b.size), (0, 2, Some(600)));
    assert_eq!((a.max_age_zero, b.max_age_zero), (Some(false), Some(true)));
    assert_eq!(a.params.unwrap()[0], hash_text(b"42"));
    assert_eq!(b.params.unwrap()[0], hash_text(b"43"));
    assert_ne!(a.key, b.key);
    assert_eq!(b.at.as_micros(), 250_000);
    assert_eq!((c.resource, c.at.as_micros(), c.size), (1, 2_000_000, None));
    assert_eq!(tally.unmodelled, [("POST /pets".to_owned(), 1)]);
    assert_eq!(tally.bad, 1);
    assert_eq!(tally.first_bad.len(), 1);
    assert!(
        tally.first_bad[0].starts_with("line 4: no JSON object on the line"),
        "{:?}",
        tally.first_bad
    );
    let notes = tally.notes("prod");
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[1].contains("POST /pets x1"), "{notes:?}");
}

#[test]
fn records_out_of_order_are_replayed_at_the_time_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bin");
    let bytes: Vec<u8> = [(10, 1), (12, 2), (11, 3), (13, 4)]
        .iter()
        .flat_map(|&(t, id)| oracle_record(t, id, 1))
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let (got, tally) = all(&model(&path, TraceFormat::OracleGeneral)).unwrap();
    let times: Vec<u64> = got.iter().map(|r| r.at.as_micros() / 1_000_000).collect();
    assert_eq!(times, [0, 2, 2, 3]);
    assert_eq!(tally.reordered, 1);
}

/// One corrupt time (u32 max in oracleGeneral, 1e30 ms in an access log) is one bad
/// record: the records after it keep their own times, read one at a time or in batches.
#[test]
fn a_corrupt_time_is_one_bad_record_not_the_end_of_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bin");
    let bytes: Vec<u8> = (0..100u32)
        .flat_map(|i| oracle_record(if i == 40 { u32::MAX } else { 1_000 + i }, u64::from(i), 1))
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let m = model(&path, TraceFormat::OracleGeneral);
    let (got, tally) = all(&m).unwrap();
    assert_eq!(got.len(), 99);
    assert_eq!(got[40].key, 41);
    assert_eq!(got[40].at, SimDuration::from_secs(41));
    assert_eq!((tally.bad, tally.requests, tally.reordered), (1, 99, 0));
    assert!(tally.first_bad[0].starts_with("line 41: the time is more than 10 years"));
    assert_eq!(tally.span, SimDuration::from_secs(99));
    for (capacity, batch) in [(7, 16), (240, 1), (1 << 18, 16), (1 << 18, 333)] {
        let file = std::fs::File::open(&path).unwrap();
        let mut source = binary::OracleGeneral::new(&m, BufReader::with_capacity(capacity, file));
        assert_eq!(in_batches(&mut source, batch), as_ids(&got));
        assert_eq!(*source.tally(), tally, "buffer {capacity}, batch {batch}");
    }

    let path = dir.path().join("access.log");
    let line = |ms: &str, pet: u32| {
        format!(
            r#"{{"requestTimeEpoch":{ms},"httpMethod":"GET","resourcePath":"/pets/{{petId}}","path":"/pets/{pet}"}}"#
        ) + "\n"
    };
    let text: String = (0..10u32)
        .map(|i| match i {
            4 => line("1e30", i),
            _ => line(&(1_764_000_000_000 + u64::from(i) * 1_000).to_string(), i),
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    let (got, tally) = all(&model(&path, access_spec())).unwrap();
    assert_eq!(got.len(), 9);
    assert_eq!(got[8].at, SimDuration::from_secs(9));
    assert_eq!((tally.bad, tally.reordered), (1, 0));
    assert!(tally.first_bad[0].starts_with("line 5: the time is more than 10 years"));
}

/// An access log read in chunks of any size, on pools of any size, yields the same
/// requests, paths and tally (bad lines with their numbers, unmodelled requests, records
/// out of order or at implausible times) as read whole on one thread.
#[test]
fn access_logs_read_the_same_in_any_chunks_on_any_pool() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let mut text = String::new();
    for i in 0..400u64 {
        let ms = 1_764_000_000_000 + i * 250 - if i % 37 == 5 { 5_000 } else { 0 };
        let line = match i % 23 {
            3 => "not json at all".to_owned(),
            7 => String::new(),
            11 => "   \t".to_owned(),
            13 => format!(
                r#"{{"requestTimeEpoch":{ms},"httpMethod":"POST","resourcePath":"/pets","path":"/prod/pets"}}"#
            ),
            17 => r#"{"requestTimeEpoch":1e30,"httpMethod":"GET","resourcePath":"/pets","path":"/pets"}"#
                .to_owned(),
            19 => format!(
                r#"{{"requestTimeEpoch":{ms},"httpMethod":"GET","resourcePath":"/pets/{{petId}}","path":"/owners"}}"#
            ),
            _ => format!(
                r#"2026-11-24T06:06:45.000Z {{"requestTimeEpoch":{ms},"httpMethod":"GET","resourcePath":"/pets/{{petId}}","path":"/prod/pets/{}","identity":{{"userArn":"arn:aws:iam::123456789012:user/ops"}},"responseLength":"{}"}}"#,
                i % 50,
                100 + i
            ),
        };
        text.push_str(&line);
        text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
    }
    text.push_str(r#"{"requestTimeEpoch":1764000999000,"httpMethod":"GET","resourcePath":"/pets","path":"/pets"}"#);
    std::fs::write(&path, &text).unwrap();
    let mut m = model(&path, access_spec());
    m.max_bad_lines = 1_000;
    let read = |chunk: usize| {
        let file = std::fs::File::open(&path).unwrap();
        let mut source = access_log::AccessLog::in_chunks(&m, file, chunk);
        let mut got = Vec::new();
        let mut r = TraceRequest::default();
        while source.next(&mut r).unwrap() {
            got.push((r, source.path().unwrap().to_owned()));
        }
        (got, source.tally().clone())
    };
    let (whole, tally) = read(usize::MAX / 2);
    assert_eq!(whole.len() as u64, tally.requests);
    assert!(
        tally.requests > 250 && tally.bad > 30 && tally.reordered > 5,
        "{tally:?}"
    );
    assert_eq!(tally.unmodelled, [("POST /pets".to_owned(), 17)]);
    assert_eq!(
        whole.last().unwrap().1,
        "/pets",
        "the last line has no line end"
    );
    for threads in [1, 2, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for chunk in [1, 7, 100, 1_000, 5_000] {
            let (got, got_tally) = pool.install(|| read(chunk));
            assert_eq!(got_tally, tally, "{threads} threads, chunks of {chunk}");
            assert!(got == whole, "{threads} threads, chunks of {chunk}");
        }
    }
}

mod recorded;

/// The XXH3-128 digest of `bytes` as a trace's check writes it, computed in one call (the
/// check feeds the hash in pieces).
pub(super) fn xxh3_128(bytes: &[u8]) -> String {
    format!("xxh3-128:{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}
