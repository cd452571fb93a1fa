#!/usr/bin/env bash
# GPU call 25 (session 26): the workers' CPU per request at 256 in flight (cpu_census.py), stock vs the response's
# head and body in one send (onesend/sitecustomize.py) vs gunicorn's compiled parser (gunicorn_h1c), alternating.
R=$PWD
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl 2>/dev/null
python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/h1csite .gpu/gunicorn_h1c-0.6.10.tar.gz > $OUT/h1c-build.txt 2>&1
PYTHONPATH=/tmp/h1csite python3 -c "import gunicorn_h1c; print('h1c', gunicorn_h1c.__file__)" >> $OUT/h1c-build.txt 2>&1
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
mkdir -p /tmp/cublas; L=/usr/local/cuda-13.0/targets/x86_64-linux/lib
ln -sf $L/libcublas.so.13 /tmp/cublas/libcublas.so.12; ln -sf $L/libcublasLt.so.13 /tmp/cublas/libcublasLt.so.12
export LD_LIBRARY_PATH=/tmp/cublas:$LD_LIBRARY_PATH PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name --format=csv,noheader | tee $OUT/gpu.txt; nproc >> $OUT/gpu.txt
[ -f /tmp/models/600M/model.bin ] || python3 -m nllb model synth --size 600M /tmp/models/600M >/dev/null
E="COMPUTE_TYPE=float16 DEVICE_INDEX=0 MAX_DECODING_LENGTH=48"
for round in 1 2; do
  for v in stock onesend h1c; do
    case $v in
      stock) P=$R:/tmp/site;; onesend) P=$R/.gpu/onesend:$R:/tmp/site;; h1c) P=$R:/tmp/site:/tmp/h1csite;;
    esac
    PYTHONPATH=$R:/tmp/site timeout 150 python3 .gpu/cpu_census.py /tmp/models/600M 256 10 $OUT/census-$v-$round.txt $E PYTHONPATH=$P > /dev/null 2>$OUT/census-$v-$round.err || tail -5 $OUT/census-$v-$round.err
    echo "== $v round $round"; head -4 $OUT/census-$v-$round.txt; grep "nllb: worker" $OUT/census-$v-$round.txt
  done
done
cd $OUT && tar czf results.tgz *.err && rm -f *.err
