"""A WorkQueue without threads, emptied by the program's own loop (what the event loop
façade does with it): wait_for_job(0) returns jobs in order, None when empty, LAST_JOB
after send_terminate(); allocate_event()/release_event() recycle events."""

from osc4py3 import osctoolspools

queue = osctoolspools.WorkQueue()
done = []
for n in range(3):
    queue.send_callable(done.append, (n,))
while True:
    job = queue.wait_for_job(0)
    if job is None or job is osctoolspools.LAST_JOB:
        break
    job()
print("done:", done, flush=True)
print("empty poll:", queue.wait_for_job(0), flush=True)
queue.send_terminate()
print(
    "after send_terminate:",
    queue.wait_for_job(0) == osctoolspools.LAST_JOB,
    queue.terminated,
    flush=True,
)
queue.terminate()
event = osctoolspools.allocate_event()
print("event:", type(event).__name__, flush=True)
osctoolspools.release_event(event)
print("recycled:", osctoolspools.allocate_event() is event, flush=True)
