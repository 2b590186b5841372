// Unit tests of SSEParser (no server): the text/event-stream rules of the HTML standard.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SSEParser } from "../snackbase.js";

function parse(chunks, hooks = {}) {
  const events = [];
  const parser = new SSEParser((e) => events.push(e), hooks);
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { events, parser };
}

const scenarios = [
  {
    name: "a realtime.md frame: id, event, one data line of JSON",
    chunks: ['id: 42\nevent: record.updated\ndata: {"collection":"posts","record":{"id":"rec_1"}}\n\n'],
    events: [{ id: "42", event: "record.updated", data: '{"collection":"posts","record":{"id":"rec_1"}}' }],
  },
  {
    name: "multi-line data joins with \\n; no trailing newline",
    chunks: ["data: first\ndata: second\ndata:\ndata:  third\n\n"],
    events: [{ id: "", event: "message", data: "first\nsecond\n\n third" }],
  },
  {
    name: "comments are ignored, and a comment alone dispatches nothing",
    chunks: [": ping\n\n:another\ndata: x\n\n"],
    events: [{ id: "", event: "message", data: "x" }],
  },
  {
    name: "CRLF and lone CR end lines too",
    chunks: ["id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\r"],
    events: [{ id: "1", event: "message", data: "a" }, { id: "2", event: "message", data: "b" }],
  },
  {
    name: "CR and LF split across chunks count as one line ending",
    chunks: ["data: a\r", "\n", "\r", "\ndata: b\n\n"],
    events: [{ id: "", event: "message", data: "a" }, { id: "", event: "message", data: "b" }],
  },
  {
    name: "a frame split byte by byte",
    chunks: [..."id: 7\nevent: reset\ndata: {}\n\n"],
    events: [{ id: "7", event: "reset", data: "{}" }],
  },
  {
    name: "the id persists across events; an id with NUL is ignored",
    chunks: ["id: 5\ndata: a\n\ndata: b\n\nid: 6\0x\ndata: c\n\n"],
    events: [
      { id: "5", event: "message", data: "a" },
      { id: "5", event: "message", data: "b" },
      { id: "5", event: "message", data: "c" },
    ],
  },
  {
    name: "an event type without data dispatches nothing and does not leak to the next event",
    chunks: ["event: record.created\n\ndata: x\n\n"],
    events: [{ id: "", event: "message", data: "x" }],
  },
  {
    name: "a field without colon has an empty value; unknown fields are ignored; only one space is stripped",
    chunks: ["data\nfoo: bar\ndata:   two\n\n"],
    events: [{ id: "", event: "message", data: "\n  two" }],
  },
  {
    name: "an unfinished event at the end of the stream is dropped",
    chunks: ["data: complete\n\ndata: unfinished\n"],
    events: [{ id: "", event: "message", data: "complete" }],
  },
  {
    name: "a leading BOM is skipped",
    chunks: ["\uFEFFdata: x\n\n"],
    events: [{ id: "", event: "message", data: "x" }],
  },
];

for (const s of scenarios) {
  test(`SSEParser: ${s.name}`, () => {
    assert.deepEqual(parse(s.chunks).events, s.events);
  });
}

test("SSEParser: retry takes digits only and reaches the hook", () => {
  const retries = [];
  parse(["retry: 2500\nretry: 1.5\nretry: x\ndata: a\n\n"], { onRetry: (ms) => retries.push(ms) });
  assert.deepEqual(retries, [2500]);
});

test("SSEParser: lastEventId is kept after the events", () => {
  const { parser } = parse(["id: 9\ndata: a\n\nid: 10\n\n"]);
  assert.equal(parser.lastEventId, "10");
});
