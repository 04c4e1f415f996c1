//! A recorded trace (an access log's requests kept in memory by the study's check)
//! replays exactly what its file's reader read.

use super::*;

/// Every request of `model`'s trace with the path or id text read with it.
fn with_texts(model: &TraceModel) -> Vec<(TraceRequest, Option<String>, Option<String>)> {
    let mut source = open(model).unwrap();
    let mut out = Vec::new();
    let mut r = TraceRequest::default();
    while source.next(&mut r).unwrap() {
        let text = |t: Option<&str>| t.map(str::to_owned);
        out.push((r, text(source.path()), text(source.id_text())));
    }
    out
}

#[test]
fn a_recorded_trace_replays_what_its_file_held_without_reading_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let mut text = String::new();
    for i in 0..300u64 {
        let (resource, path) = match i % 3 {
            0 => ("/pets", "/prod/pets".to_owned()),
            _ => ("/pets/{petId}", format!("/prod/pets/{}", i * 7 % 50)),
        };
        text += &format!(
            "{{\"requestTimeEpoch\":{},\"httpMethod\":\"GET\",\"resourcePath\":\"{resource}\",\"path\":\"{path}\",\"responseLength\":\"{}\",\"identity\":{{\"userArn\":\"arn:aws:iam::123456789012:user/ops\"}}}}\n",
            1_764_000_000_000 + i * 10,
            i % 4 * 100,
        );
    }
    std::fs::write(&log, &text).unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "1\nobject-a\n3\nobject-b\nobject-a\n").unwrap();
    for mut m in [
        model(&log, access_spec()),
        model(&ids, TraceFormat::Text { rate: 4.0 }),
    ] {
        let read = with_texts(&m);
        let far = SimTime::from_micros(u64::MAX);
        let scanned = record(&m, far, far, 1 << 20, true, None).unwrap();
        assert_eq!(scanned.tally, all(&m).unwrap().1);
        let bytes = std::fs::read(&m.file).unwrap();
        assert_eq!(scanned.digest, Some(super::xxh3_128(&bytes)));
        let recorded = scanned.recorded.expect("fits");
        assert_eq!(recorded.len(), read.len());
        assert!(scanned.needed <= recorded.bytes());
        // The file is gone: the recording alone is replayed.
        std::fs::write(&m.file, "garbage\n").unwrap();
        m.recording = Recording(Some(std::sync::Arc::new(recorded)));
        assert_eq!(with_texts(&m), read);
        assert!(read.iter().any(|(_, p, t)| p.is_some() || t.is_some()));
    }
    // Too small a budget keeps nothing (and says how much it would take); a run's end
    // keeps what it replays, through the first request at or after it.
    std::fs::write(&log, &text).unwrap();
    let m = model(&log, access_spec());
    let far = SimTime::from_micros(u64::MAX);
    let small = record(&m, far, far, 1_000, false, None).unwrap();
    assert!(small.recorded.is_none() && small.needed > 1_000);
    assert_eq!(small.digest, None, "not asked for");
    let end = SimTime::from_micros(1_000_000);
    let cut = record(&m, far, end, 1 << 20, false, None).unwrap();
    assert_eq!(
        cut.recorded.unwrap().len(),
        101,
        "100 before 1 s, and the one at 1 s"
    );
    assert_eq!(
        cut.tally, small.tally,
        "the whole trace is scanned either way"
    );
}
