# DS01 GPU Awareness Layer
# Prevents direct host GPU access from PyTorch/CUDA applications.
[[ $- == *i* ]] || return 0
if id -nG | grep -qw video; then
    return 0
fi
export CUDA_VISIBLE_DEVICES=""
