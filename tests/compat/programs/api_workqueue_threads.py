"""osctoolspools.WorkQueue with its own threads: jobs sent with send_callable(), a job
with synchronisation (WorkJob with needsync) waited for and its result read, termination
joining the threads, and send_job() refused afterwards."""

import threading
import time

from osc4py3 import osctoolspools

results = []
lock = threading.Lock()


def work(n):
    with lock:
        results.append(n * n)
    return n * n


queue = osctoolspools.WorkQueue()
queue.add_working_threads(3)
for n in range(10):
    queue.send_callable(work, (n,))
job = osctoolspools.WorkJob(work, (12,), True)
queue.send_job(job)
job.wait_finished()
print("synchronised job:", job.is_finished(), job.result, flush=True)
failing = osctoolspools.WorkJob(lambda: 1 / 0, (), True)
queue.send_job(failing)
failing.wait_finished()
print("failing job result:", type(failing.result).__name__, flush=True)
end = time.time() + 3
while len(results) < 11 and time.time() < end:
    time.sleep(0.01)
queue.terminate()
print("results:", sorted(results), flush=True)
print("threads joined:", queue.ownthreads == [], flush=True)
try:
    queue.send_callable(work, (1,))
    print("send after terminate accepted", flush=True)
except RuntimeError:
    print("send after terminate: RuntimeError caught", flush=True)
try:
    osctoolspools.WorkJob(work, (1,)).wait_finished()
except RuntimeError:
    print("wait on a job without sync: RuntimeError caught", flush=True)
