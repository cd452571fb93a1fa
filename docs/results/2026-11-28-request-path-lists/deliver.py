"""The engine's answer delivery for a batch of 256 one-segment requests (48 output tokens each), as
Engine._deliver does it: token strings to ids, then Inbox.answer. CPU per answer, warm and after 5 ms asleep."""
import statistics, sys, time
from nllb.ipc.exchange import Exchange
from nllb.ipc.inbox import Inbox, InboundRequest
from nllb.ipc.slots import SlotLayout
from nllb.modeldir import ModelDirectory
model = ModelDirectory.open(sys.argv[1])
vocabulary = model.vocabulary
token_ids = {t: i for i, t in enumerate(vocabulary)}
unknown = token_ids["<unk>"]
exchange = Exchange.create(worker_slots=16, slots_per_worker=16, layout=SlotLayout())
epoch = exchange.state.begin_epoch()
inbox = Inbox(exchange, epoch, len(vocabulary))
outputs = [[vocabulary[(i * 7 + k) % 1000 + 300] for k in range(48)] for i in range(256)]
gen = [0]
def batch():
    gen[0] += 1
    reqs = []
    for w in range(16):
        for s in range(16):
            exchange.request_slot(w, s).header.generation = gen[0]
            reqs.append(InboundRequest(w, s, gen[0], "r", 1e18, 5, 1, [[1] * 20], [48], [0], 1))
    return reqs
def deliver(reqs):
    for request, output in zip(reqs, outputs):
        inbox.answer(request, 0, [token_ids.get(token, unknown) for token in output])
for pause in (0, 0.005, 0.2):
    per = []
    for r in range(20 if pause < 0.1 else 8):
        reqs = batch()
        if pause: time.sleep(pause)
        c = time.thread_time(); deliver(reqs); per.append((time.thread_time() - c) / 256 * 1e6)
    print(f"after {pause*1000:5.0f} ms asleep: {statistics.median(per):6.1f} us per answer (min {min(per):.1f})")
