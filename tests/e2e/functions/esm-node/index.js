// A stream-consumer handler for the event-source-mapping tests, the twin of esm-python/handler.py (see there
// for the protocol): it logs each batch as JSON lines to ESM_LOG and behaves as ESM_CONTROL and the records'
// `behave` attribute ask.
const fs = require('fs');

function lines(path) {
  let text;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    return [];
  }
  const out = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      // a line being written
    }
  }
  return out;
}

function append(path, obj) {
  fs.appendFileSync(path, JSON.stringify(obj) + '\n');
}

function control() {
  try {
    return JSON.parse(fs.readFileSync(process.env.ESM_CONTROL, 'utf8'));
  } catch (e) {
    return {};
  }
}

function pk(record) {
  const v = (record.dynamodb.Keys || {}).pk || {};
  return v.S !== undefined ? v.S : v.N;
}

function fails(behave, deliveredBefore, kind) {
  if (!behave) return false;
  if (behave === kind) return true;
  if (behave.startsWith(kind + ':')) return deliveredBefore < Number(behave.slice(kind.length + 1));
  return false;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

exports.handler = async (event, context) => {
  const log = process.env.ESM_LOG;
  const ctl = control();
  const t0 = Date.now() / 1000;
  append(log, { phase: 'start', rid: context.awsRequestId });
  let saw = null;
  if (ctl.barrier) {
    const deadline = Date.now() + (ctl.barrierMs || 8000);
    for (;;) {
      saw = lines(log).filter((l) => l.phase === 'start').length;
      if (saw >= ctl.barrier || Date.now() > deadline) break;
      await sleep(10);
    }
  }
  if (ctl.sleepMs) await sleep(ctl.sleepMs);
  const records = event.Records || [];
  const seqs = records.map((r) => r.dynamodb.SequenceNumber);
  const previous = {};
  for (const l of lines(log)) {
    if (l.phase !== 'end') continue;
    for (const s of l.seqs) previous[s] = (previous[s] || 0) + 1;
  }
  let error = false;
  const failures = [];
  records.forEach((r, i) => {
    const behave = ((r.dynamodb.NewImage || {}).behave || {}).S;
    if (fails(behave, previous[seqs[i]] || 0, 'error')) error = true;
    if (fails(behave, previous[seqs[i]] || 0, 'partial')) failures.push({ itemIdentifier: seqs[i] });
  });
  const extra = {};
  for (const [k, v] of Object.entries(event)) if (k !== 'Records') extra[k] = v;
  const entry = {
    phase: 'end', rid: context.awsRequestId, fn: context.functionName, runtime: 'node',
    t0, t1: Date.now() / 1000, sawStarts: saw, seqs, pks: records.map(pk),
    names: records.map((r) => r.eventName), bytes: JSON.stringify(event).length, extra,
  };
  if (!ctl.omitImages) entry.records = records;
  append(log, entry);
  if (ctl.fail || error) throw new Error('handler failed on purpose');
  if ('respond' in ctl) return ctl.respond;
  if ('window' in event) {
    if (ctl.noState) return { batchItemFailures: failures };
    const state = Object.assign({}, event.state || {});
    state.count = (state.count || 0) + records.length;
    state.seqs = (state.seqs || []).concat(seqs);
    if (ctl.bigStateBytes) state.pad = 'x'.repeat(ctl.bigStateBytes);
    else delete state.pad;
    return { state, batchItemFailures: failures };
  }
  return { batchItemFailures: failures };
};
