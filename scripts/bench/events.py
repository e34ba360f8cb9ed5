"""Worker events phase of scripts/bench/submit: how fast the gateway folds worker events into
its job records.

  events.py submit HOST PORT IMAGE JOBS        submits JOBS jobs, prints their ids
  events.py queue AMQP_URL IDS_FILE            queues started, progress 50, completed per job
  events.py drain HOST PORT TOTAL PID IDS_FILE times the gateway (PID) applying TOTAL events

`queue` runs while no gateway consumes the event queue, so `drain` measures a started gateway
working through a backlog: events a second and its CPU per event. The events are those of the
wire protocol (sdk/PROTOCOL.md) on the default topology (exchange visiongw.events, routing key
`event`). Needs python3-pika (Debian).
"""
import http.client
import json
import os
import random
import sys
import time
import urllib.request

from roundtrip import BOUNDARY, TIMEOUT, body_for

EVENTS_EXCHANGE, EVENT_ROUTING_KEY, EVENTS_QUEUE = 'visiongw.events', 'event', 'visiongw.events'


def submit(host, port, image_path, jobs):
    jpeg = open(image_path, 'rb').read()
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    headers = {'Content-Type': 'multipart/form-data; boundary=' + BOUNDARY}
    for n in range(jobs):
        connection.request('POST', '/api/v1/vision/analyze', body=body_for(jpeg, n),
                           headers=headers)
        answer = connection.getresponse()
        text = answer.read()
        if answer.status != 202:
            sys.exit(f'submit {n}: HTTP {answer.status}: {text[:300]!r}')
        print(json.loads(text)['job_id'])


def queue(amqp_url, ids_file):
    import pika
    ids = open(ids_file).read().split()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    before = channel.queue_declare(EVENTS_QUEUE, passive=True).method.message_count
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    properties = pika.BasicProperties(content_type='application/json', delivery_mode=2)
    for job_id in ids:
        for event in ({'event': 'started'}, {'event': 'progress', 'progress': 50},
                      {'event': 'completed', 'result': {'pest': 'aphid', 'confidence': 0.91}}):
            event.update(schema_version=1, job_id=job_id, worker_id='bench', timestamp=stamp)
            channel.basic_publish(EVENTS_EXCHANGE, EVENT_ROUTING_KEY, json.dumps(event), properties)
    expected = before + 3 * len(ids)
    deadline = time.time() + 60
    while channel.queue_declare(EVENTS_QUEUE, passive=True).method.message_count < expected:
        if time.time() > deadline:
            sys.exit(f'the event queue did not reach {expected} messages')
        time.sleep(0.05)
    connection.close()
    print(3 * len(ids))


def consumed(host, port):
    text = urllib.request.urlopen(f'http://{host}:{port}/health/metrics', timeout=5).read()
    for line in text.decode().splitlines():
        if line.startswith('visiongw_rabbitmq_events_consumed_total'):
            return float(line.split()[-1])
    return 0.0


def cpu_ticks(pid):
    fields = open(f'/proc/{pid}/stat').read().rsplit(') ', 1)[1].split()
    return int(fields[11]) + int(fields[12])


def drain(host, port, total, pid, ids_file):
    if total < 1000:
        sys.exit(f'{total} events are too few to time (raise BENCH_EVENT_JOBS)')
    deadline = time.time() + 300
    first = None
    while True:
        count = consumed(host, port)
        if first is None and count > 0:
            # From the first event applied: the gateway's start-up is not part of the rate.
            first, started, ticks = count, time.time(), cpu_ticks(pid)
        if count >= total:
            break
        if time.time() > deadline:
            sys.exit(f'only {count:.0f} of {total} events applied within 300 s')
        # Every 50 ms: each poll renders the metrics page in the gateway, which is measured, and
        # polling every 5 ms cost ~15% of its CPU during the drain.
        time.sleep(0.05)
    seconds, cpu = time.time() - started, (cpu_ticks(pid) - ticks) / os.sysconf('SC_CLK_TCK')
    applied = total - first
    if applied < 1000:
        sys.exit(f'only {applied:.0f} events applied after the first poll: too few to time '
                 '(raise BENCH_EVENT_JOBS)')
    sample = random.sample(open(ids_file).read().split(), 20)
    done = sum(1 for job_id in sample if json.load(urllib.request.urlopen(
        f'http://{host}:{port}/api/v1/vision/jobs/{job_id}', timeout=5))['status'] == 'completed')
    print(f'EVENTS applied={applied:.0f} seconds={seconds:.2f} per_second={applied / seconds:.0f} '
          f'cpu_us={cpu / applied * 1e6:.0f} sample={len(sample)} sample_completed={done}')


if __name__ == '__main__':
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == 'submit':
        submit(args[0], args[1], args[2], int(args[3]))
    elif mode == 'queue':
        queue(args[0], args[1])
    elif mode == 'drain':
        drain(args[0], args[1], int(args[2]), int(args[3]), args[4])
    else:
        sys.exit(__doc__)
