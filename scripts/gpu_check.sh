#!/usr/bin/env bash
# Training checks on a CUDA GPU, for a machine that has the GPU but not this project's venv
# (its own python3 with torch, transformers, accelerate, pytest): the trainer's tests on the GPU,
# bench_train in float32 and bf16, and the 7B-class 4-bit memory probe.
#
#   scripts/gpu_check.sh OUT_DIR [SMOLLM2_CONFIG_DIR] [WHEELS_DIR]
#
# SMOLLM2_CONFIG_DIR holds SmolLM2's config.json and tokenizer files (no weights needed: random
# weights of that shape are written beside them, since speed and memory depend on shape alone).
# WHEELS_DIR (optional) holds wheels of what the machine lacks (opacus, pydantic, cryptography, ...)
# and a site/ folder of unpacked packages (bitsandbytes), installed into a private folder first.
set -u
out=${1:?usage: scripts/gpu_check.sh OUT_DIR [SMOLLM2_CONFIG_DIR] [WHEELS_DIR]}
shape=$(realpath "${2:-.gpu/smollm2}")
wheels=${3:-}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" DO_NOT_TRACK=1
site=$(mktemp -d)
if [ -n "$wheels" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$wheels"/*.whl || exit 1
  [ -d "$wheels/site" ] && cp -r "$wheels/site/." "$site/"
fi
export PYTHONPATH="$site:$PWD:$PWD/scripts"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, transformers, peft, opacus; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'transformers', transformers.__version__, 'peft', peft.__version__, 'opacus', opacus.__version__)"

if [ ! -f "$shape/model.safetensors" ]; then
  python3 - "$shape" <<'PY'
import sys, torch
from transformers import AutoConfig, LlamaForCausalLM
folder = sys.argv[1]
torch.manual_seed(0)
LlamaForCausalLM(AutoConfig.from_pretrained(folder)).save_pretrained(folder)
PY
fi

echo "== trainer tests on the GPU (precision auto = bf16 where supported)"
APPLIANCE_TEST_SMOLLM2_DIR="$shape" timeout 180 python3 -m pytest -q -p no:cacheprovider --timeout 120 --maxfail 15 --tb=short -m "not integration" \
  tests/test_train_precision.py tests/test_train_loop.py tests/test_train_methods.py tests/test_train_packing.py \
  tests/test_train_resume.py tests/test_train_speed_microbatch.py tests/test_train_subject_dp.py tests/test_train_dp_learns.py \
  tests/test_train_validation.py tests/test_train_classification.py 2>&1 | tee "$out/pytest.log" | tail -40

for precision in fp32 bf16; do
  echo "== bench_train, $precision"
  timeout 100 python3 scripts/bench_train.py --model "$shape" --precision "$precision" --steps 30 --warmup 5 --batch-size 8 --max-seq-len 256 2>&1 \
    | grep -v Warning | tee "$out/bench_$precision.log"
done

echo "== 7B-class Llama, 4-bit base, LoRA, gradient checkpointing"
timeout 150 python3 scripts/gpu_memory.py --tokenizer "$shape" --work /tmp/llama7b --seq 1024 --batch 2 2>&1 | grep -v Warning | tee "$out/memory_7b.log"
