import { parentPort, workerData } from 'node:worker_threads';
import { FlowStage, flowStageOptions } from './flow-stage.js';
import { parseFlowHints } from './hints.js';
import { BEAT, FAILED, type FlowWorkerJob, loadFlowSink, SLOT_WORDS, SLOTS, STOP } from './pipeline.js';
import { WindowAccumulator } from './windows.js';

/** Worker entry of the pipeline (see `pipeline.ts`): runs the flow half over the shared slots. */

const job = workerData as FlowWorkerJob;
const ctrl = new Int32Array(job.ctrl);

async function run(): Promise<void> {
  const o = job.options;
  const sink = job.sink ? await loadFlowSink(job.sink, { beat: () => Atomics.add(ctrl, BEAT, 1) }) : null;
  const stage = new FlowStage(
    flowStageOptions(o.settings, {
      hintParser: o.hints ? parseFlowHints : null,
      flowIndex: o.flowIndex,
      flowIndexIds: (o.shards ?? 1) > 1,
      onFlow: sink?.flow ?? null,
      onLog: sink?.log ?? null,
      logRows: o.logRows,
    }),
    new WindowAccumulator(o.settings.windowLength),
  );
  const slots: Int32Array[] = [];
  for (let i = 0; i < SLOTS; i++) slots.push(new Int32Array(job.data, i * SLOT_WORDS * 4, SLOT_WORDS));
  let i = 0;
  for (;;) {
    let v = Atomics.load(ctrl, i);
    while (v === 0) {
      if (Atomics.load(ctrl, STOP) !== 0) return;
      Atomics.add(ctrl, BEAT, 1);
      Atomics.wait(ctrl, i, 0, 200);
      v = Atomics.load(ctrl, i);
    }
    if (v < 0) break;
    stage.consume(slots[i], 0, v - 1);
    Atomics.add(ctrl, BEAT, 1);
    Atomics.store(ctrl, i, 0);
    Atomics.notify(ctrl, i);
    i = (i + 1) % SLOTS;
  }
  stage.finish();
  await sink?.finish?.();
  const { state, transfer } = stage.exportState();
  parentPort!.postMessage({ type: 'done', state }, transfer);
}

run().catch((e: Error) => {
  Atomics.store(ctrl, FAILED, 1);
  for (let i = 0; i < SLOTS; i++) Atomics.notify(ctrl, i);
  parentPort!.postMessage({ type: 'error', message: e.message, stack: e.stack });
});
