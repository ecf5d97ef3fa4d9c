// As `aios dev` runs: warnings and errors only, no metrics flush, no tracing. A module of its own,
// imported first, because the Powertools singletons read these when they are created, at import.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
