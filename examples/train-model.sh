#!/usr/bin/env bash
# The StepFlow README's shell example, runnable as is: three steps, three artifacts.
#   stepflow run -- bash examples/train-model.sh
set -euo pipefail
# Relative ARTIFACT paths resolve against the execution's working directory (where `stepflow run`
# started), so the files go to a folder of it.
out=example-output
mkdir -p "$out"

echo "STEP_START:环境设置"
echo "Installing requirements (simulated)…"
for pkg in numpy pandas scikit-learn; do
  echo "  collected $pkg"
  sleep 0.3
done
echo "STEP_COMPLETE:环境设置"

echo "STEP_START:模型训练"
echo "META:ESTIMATED_DURATION:3"
for epoch in 1 2 3 4 5; do
  printf 'epoch %d/5 \033[32mloss=%s\033[0m\n' "$epoch" "0.$((90 - epoch * 15))"
  sleep 0.4
done
echo '{"weights": [0.1, 0.2, 0.3]}' > "$out/model.pkl"
printf 'epoch 1..5 finished\n' > "$out/training.log"
echo "ARTIFACT:$out/model.pkl:训练好的模型"
echo "ARTIFACT:$out/training.log:训练输出"
echo "STEP_COMPLETE:模型训练"

echo "STEP_START:模型评估"
sleep 0.5
echo '{"accuracy": 0.93, "f1": 0.91}' > "$out/results.json"
echo "ARTIFACT:$out/results.json:评估结果"
echo "STEP_COMPLETE:模型评估"
