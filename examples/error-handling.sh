#!/usr/bin/env bash
# The StepFlow README's error-handling example: validation fails, the step and the run fail.
#   stepflow run -- bash examples/error-handling.sh
echo "STEP_START:数据验证"
if test -s /nonexistent/data.csv; then
  echo "✅ 数据验证通过"
  echo "STEP_COMPLETE:数据验证"
else
  echo "❌ 数据验证失败"
  echo "STEP_ERROR:数据格式不正确或包含缺失值"
  exit 1
fi
