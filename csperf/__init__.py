"""csperf: 客服绩效看板 — the CS-performance dashboard for Chinese online shops."""
