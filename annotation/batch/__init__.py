"""The data engine at scale: every Live2D model under a folder labelled, checked and exported, in parallel and
resumable (`seethrough-gui live2d batch`, docs/batch.md).

- `discover`: the models under a root (folders and .zip files) and their content hashes (duplicates skipped);
- `options`: what a batch makes (poses, size, tag set, provider, quality thresholds) and its work key;
- `work`: one model's task, run in a worker: load → auto-label → quality gate → the samples as bytes;
- `quality`: the gate's measures and thresholds;
- `sandbox` and `worker`: a worker process with a time limit and a memory cap; `engines`: local processes or Ray;
- `manifest`: each model's state in SQLite; `store`: the dataset written per model atomically (folders or
  WebDataset tar shards); `review_copy`: an editable copy of a model sent to review;
- `report`: the review list and the report (JSON, Markdown with thumbnails); `driver`: the loop that ties them.
"""
