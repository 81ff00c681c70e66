#!/usr/bin/env python3
"""The StepFlow README's Python example: one step, one artifact.

    stepflow run -- python3 examples/process-data.py
"""
import csv
import os

os.makedirs("example-output", exist_ok=True)
print("STEP_START:数据处理", flush=True)
rows = [{"id": i, "value": i * i} for i in range(100)]
with open("example-output/cleaned_data.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=["id", "value"])
    writer.writeheader()
    writer.writerows(rows)
print(f"cleaned {len(rows)} rows", flush=True)
print("ARTIFACT:example-output/cleaned_data.csv:清理后的数据集", flush=True)
print("STEP_COMPLETE:数据处理", flush=True)
