// What the live test files share: the server run.sh started, and small helpers. Not a test file itself
// (run.sh runs ./*.test.mjs).
import assert from "node:assert/strict";
import { SnackBaseError } from "../snackbase.js";

export const URL_ = process.env.SNACKBASE_URL;
export const TTL = Number(process.env.SNACKBASE_TOKEN_TTL ?? 3);
export const ROOT = { account: "SY0000", email: process.env.SNACKBASE_SUPERADMIN_EMAIL, password: process.env.SNACKBASE_SUPERADMIN_PASSWORD };
if (!URL_) throw new Error("SNACKBASE_URL is not set: run these tests with clients/js/test/run.sh");

export const PASSWORD = "Str0ng-pass-word!";
/** Unique per test process, so names of two files never collide on the one server. */
export const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fetch that records each request's method, path and headers. */
export function recordingFetch() {
  const calls = [];
  const wrapped = (url, init = {}) => {
    const u = new URL(url);
    calls.push({ method: init.method ?? "GET", path: u.pathname, search: u.search, headers: init.headers ?? {} });
    return fetch(url, init);
  };
  return { fetch: wrapped, calls, count: (method, path) => calls.filter((c) => c.method === method && c.path === path).length };
}

/** Asserts that `promise` rejects with a SnackBaseError of `status` carrying the API's message; returns the error. */
export async function rejectsWith(promise, status) {
  let caught;
  await assert.rejects(promise, (e) => { caught = e; return e instanceof SnackBaseError && e.status === status; });
  assert.equal(typeof caught.message, "string");
  assert.ok(caught.message.length > 0);
  assert.equal(caught.details?.message, caught.message);
  return caught;
}
