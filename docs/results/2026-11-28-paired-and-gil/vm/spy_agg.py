import sys, collections
tot=0; incl=collections.Counter(); self_=collections.Counter()
for line in open(sys.argv[1]):
    line=line.rstrip()
    if not line: continue
    stack, n = line.rsplit(" ",1); n=int(n)
    frames=stack.split(";")
    tot+=n
    seen=set()
    for f in frames:
        key=f.split(" (")[0]+" "+f.split("/")[-1].rstrip(")") if "/" in f else f
        if key not in seen: incl[key]+=n; seen.add(key)
    self_[frames[-1].split(" (")[0]+" "+frames[-1].split("/")[-1].rstrip(")")]+=n
print("total",tot)
mode=sys.argv[2] if len(sys.argv)>2 else "incl"
c = incl if mode=="incl" else self_
for k,v in c.most_common(int(sys.argv[3]) if len(sys.argv)>3 else 70):
    print(f"{100*v/tot:5.1f}% {k}")
