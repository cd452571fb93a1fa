import sys, collections, re
tot=0; c=collections.Counter(); d=collections.Counter()
for line in open(sys.argv[1]):
    line=line.rstrip()
    if not line: continue
    stack, n = line.rsplit(" ",1); n=int(n); tot+=n
    frames=stack.split(";")
    leaf=frames[-1]
    m=re.search(r"\((.*?):\d+\)", leaf)
    path=m.group(1) if m else leaf
    if "site-packages/" in path: key=path.split("site-packages/")[1].split("/")[0]
    elif "/nllb/" in path: key="nllb/"+path.split("/nllb/")[1]
    elif "python3" in path: key="stdlib/"+path.split("/")[-1]
    else: key=path
    c[key]+=n
    # first nllb-or-gunicorn frame from the top of the leaf: attribution to the last "owner"
print("total",tot)
for k,v in c.most_common(40): print(f"{100*v/tot:5.1f}% {k}")
