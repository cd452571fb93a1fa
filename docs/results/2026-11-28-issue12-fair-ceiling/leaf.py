"""py-spy raw profile → self and inclusive shares by function (file:function), top N."""
import collections, sys
self_c, incl, total = collections.Counter(), collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n); total += n
    frames = [f.split(" (")[0] + " " + (f.split(" (")[1].split(":")[0].rsplit("/", 1)[-1] if " (" in f else "") for f in stack.split(";")]
    self_c[frames[-1]] += n
    for f in set(frames):
        incl[f] += n
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
print("samples", total)
print("== self"); [print(f"{c/total:6.1%} {f}") for f, c in self_c.most_common(top)]
print("== inclusive"); [print(f"{c/total:6.1%} {f}") for f, c in incl.most_common(top)]
