// Unit tests of the console's browser-free modules: the SSE parser and the
// generation form's checks and estimates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SSEParser } from '../static/js/sse.js';
import { estimateCents, problems } from '../static/js/pricing.js';

test('the SSE parser frames events across arbitrary chunks', () => {
  const got = [];
  const p = new SSEParser((e) => got.push(e));
  const stream = 'id: 1\nevent: task.progress\ndata: {"a":1}\n\n: keep-alive\n\n'
    + 'id: 2\r\nevent: job.succeeded\r\ndata: line one\r\ndata: line two\r\n\r\n'
    + 'event: end\ndata: {"status":"succeeded"}\n\n';
  for (let i = 0; i < stream.length; i += 3) p.push(stream.slice(i, i + 3));
  assert.deepEqual(got, [
    { id: '1', event: 'task.progress', data: '{"a":1}' },
    { id: '2', event: 'job.succeeded', data: 'line one\nline two' },
    { id: null, event: 'end', data: '{"status":"succeeded"}' },
  ]);
  assert.equal(p.lastEventId, '2');
});

test('the SSE parser waits for the blank line', () => {
  const got = [];
  const p = new SSEParser((e) => got.push(e));
  p.push('data: x\n');
  assert.equal(got.length, 0);
  p.push('\n');
  assert.equal(got.length, 1);
});

const sim = {
  models: [{ id: 'sim-1', kinds: ['text_to_video', 'text_to_image'], durations: null,
    min_duration: 1, max_duration: 20, resolutions: ['720p', '1080p'],
    aspect_ratios: ['16:9', '9:16'], max_prompt_chars: 10 }],
  price: { per_second_cents: { '720p': 1, '*': 3 }, per_image_cents: { '720p': 2 } },
};

test('estimates follow the price tables', () => {
  const s = { kind: 'text_to_video', resolution: '720p', duration: 4 };
  assert.equal(estimateCents(sim, 'sim-1', s), 4);
  assert.equal(estimateCents(sim, 'sim-1', { ...s, resolution: '4k' }), 12);
  assert.equal(estimateCents(sim, 'sim-1', { ...s, kind: 'text_to_image' }), 2);
  assert.equal(estimateCents(sim, 'sim-1', { ...s, kind: 'text_to_image', resolution: '4k' }),
    null);
});

test('unsupported settings are explained', () => {
  const ok = { kind: 'text_to_video', resolution: '720p', aspect_ratio: '16:9', duration: 5,
    prompt: 'short' };
  assert.deepEqual(problems(sim, 'sim-1', ok), []);
  const keys = (s) => problems(sim, 'sim-1', { ...ok, ...s }).map((p) => p.key);
  assert.deepEqual(keys({ resolution: '4k' }), ['generate.reason.resolution']);
  assert.deepEqual(keys({ aspect_ratio: '1:1' }), ['generate.reason.aspect']);
  assert.deepEqual(keys({ duration: 30 }), ['generate.reason.duration_range']);
  assert.deepEqual(keys({ kind: 'image_to_video' }), ['generate.reason.kind']);
  assert.deepEqual(keys({ prompt: 'far too long for it' }), ['generate.reason.prompt']);
});
