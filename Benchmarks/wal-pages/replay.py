#!/usr/bin/env python3
"""WAL pages a record create writes: replays S3's two inserts (the record, its audit entry) in batches
on a copy of the benchmark's seeded database and counts the WAL frames each commit adds. Deterministic,
unlike timings on a shared VM, and what the WAL copy, its fsyncs and the commit cost grow with.

    python3 Benchmarks/wal-pages/replay.py <bench --keep-data folder>/sb_data/data.db [--batch 31]
        [--ordered-audit-ids] [--ordered-record-ids] [--drop INDEX ...]

--ordered-*: ids that begin with the time in milliseconds (as the server's audit ids do since 966a2cb);
--drop: indexes to drop on the copy first (what an index costs per create).
Measured (batches of 16) on a benchmark database grown to 50,810 records by S3 runs: random audit ids
5.42 pages per create, time-ordered 4.45, also without audit_log_by_account_record 3.25, also time-ordered
record ids 2.55; on a freshly seeded one (10,000 records, 60 batches): 5.92 and 4.84.
"""
import argparse, os, secrets, shutil, sqlite3, tempfile, time

parser = argparse.ArgumentParser()
parser.add_argument("database")
parser.add_argument("--batch", type=int, default=31)
parser.add_argument("--batches", type=int, default=200)
parser.add_argument("--ordered-audit-ids", action="store_true")
parser.add_argument("--ordered-record-ids", action="store_true")
parser.add_argument("--drop", nargs="*", default=[])
args = parser.parse_args()

work = tempfile.mkdtemp(prefix="snackbase-wal-pages.")
path = os.path.join(work, "data.db")
shutil.copy(args.database, path)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA wal_autocheckpoint=0")   # the server copies the WAL back itself, every 10,000 pages
db.execute("PRAGMA synchronous=NORMAL")
for index in args.drop:
    db.execute(f'DROP INDEX "{index}"')
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
account, user = db.execute("SELECT account_id, created_by FROM col_posts ORDER BY rowid DESC LIMIT 1").fetchone()

def frames():
    size = os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0
    return 0 if size == 0 else (size - 32) // (4096 + 24)

def make_id(prefix, ordered):
    head = "%012x" % int(time.time() * 1000) if ordered else ""
    return prefix + "_" + head + secrets.token_hex(12 if ordered else 16)

changes = ('{"body":{"new":"Short body written by the create scenario.","old":null},"status":{"new":"draft","old":null},'
           '"title":{"new":"Created during benchmark","old":null},"views":{"new":1,"old":null}}')
written = 0
for _ in range(args.batches):
    before = frames()
    db.execute("BEGIN IMMEDIATE")
    for _ in range(args.batch):
        now = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime()) + "%03dZ" % (int(time.time() * 1000) % 1000)
        record = make_id("rec", args.ordered_record_ids)
        db.execute("INSERT INTO col_posts (id, account_id, created_at, updated_at, created_by, updated_by, title, body, status, views) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (record, account, now, now, user, user, "Created during benchmark", "Short body written by the create scenario.", "draft", 1.0))
        sequence, _ = db.execute("SELECT sequence, hash FROM audit_log WHERE account_id = ? ORDER BY sequence DESC LIMIT 1", (account,)).fetchone()
        db.execute("INSERT INTO audit_log (id, account_id, sequence, actor_id, actor_email, action, collection, record_id, outcome, status, "
                   "reason, changes, request_id, ip, user_agent, created_at, previous_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   (make_id("aud", args.ordered_audit_ids), account, sequence + 1, user, "alice@bench.example.com", "record.create", "posts",
                    record, "allowed", 201, None, changes, secrets.token_hex(16), "127.0.0.1", None, now, secrets.token_hex(32), secrets.token_hex(32)))
    db.execute("COMMIT")
    written += frames() - before
db.close()
shutil.rmtree(work)
print(f"{written / (args.batches * args.batch):.2f} WAL pages per create (batches of {args.batch})")
