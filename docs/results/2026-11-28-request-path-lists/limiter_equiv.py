import importlib.util, random, sys, time
sys.path.insert(0, "/work/main")
from nllb.access import ratelimit as new
spec = importlib.util.spec_from_file_location("oldrl", "/tmp/base/nllb/access/ratelimit.py")
old = importlib.util.module_from_spec(spec); sys.modules["oldrl"] = old; spec.loader.exec_module(old)
a = new.LocalLimiter.create("eqa%d" % random.randrange(10**6)); b = old.LocalLimiter.create("eqb%d" % random.randrange(10**6))
clock = [1000.0]
new.time.time = lambda: clock[0]; old.time.time = new.time.time
rng = random.Random(1)
keys = [f"k{i}" for i in range(6000)]
budgets_sets = [[new.Budget(5, 10.0)], [new.Budget(5, 10.0), new.Budget(100, 3600.0)]]
n = 0
for step in range(60000):
    clock[0] += rng.random() * 0.05
    k = rng.choice(keys[: 100 + step // 10])
    bs = budgets_sets[hash(k) % 2]
    costs = [rng.randint(0, 3) for _ in bs]
    if rng.random() < 0.3:
        assert a.spent(k, bs[0]) == b.spent(k, [old.Budget(x.limit, x.window) for x in bs][0]), step
    da = a.check(k, bs, costs); db = b.check(k, [old.Budget(x.limit, x.window) for x in bs], costs)
    assert da.allowed == db.allowed and [(o.remaining, round(o.reset_seconds, 9), round(o.retry_after, 9)) for o in da.outcomes] == [(o.remaining, round(o.reset_seconds, 9), round(o.retry_after, 9)) for o in db.outcomes], (step, da, db)
    n += da.allowed
print("same decisions over 60000 checks;", n, "allowed; table bytes equal:", bytes(a.memory.buffer) == bytes(b.memory.buffer))
