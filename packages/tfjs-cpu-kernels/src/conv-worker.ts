/**
 * Entry point of a convolution helper thread. It sleeps on `control[0]` (a job counter),
 * takes the job message synchronously from its port, runs it and publishes the counter in
 * `control[1]` (negated on failure, with the error posted on the port). `control[2]` is set
 * once the thread is ready.
 */
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { runConvThreadJob, type ConvThreadJob } from './conv-thread-job.js';

const { port, control } = workerData as { port: MessagePort; control: Int32Array };
// Tell the pool this thread is up (its modules loaded) before taking jobs.
Atomics.store(control, 2, 1);
Atomics.notify(control, 2);
let generation = 0;
for (;;) {
  Atomics.wait(control, 0, generation);
  generation = Atomics.load(control, 0);
  if (generation < 0) break;
  let received = receiveMessageOnPort(port);
  while (received === undefined) received = receiveMessageOnPort(port);
  try {
    runConvThreadJob(received.message as ConvThreadJob);
    Atomics.store(control, 1, generation);
  } catch (error) {
    port.postMessage(error instanceof Error ? error.message : String(error));
    Atomics.store(control, 1, -generation);
  }
  Atomics.notify(control, 1);
}
port.close();
