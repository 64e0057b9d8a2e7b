#!/usr/bin/env node
// The published CLI runs the compiled sources; in the repository, `pnpm sandbox` runs src/ with tsx.
import '../dist/cli.js';
