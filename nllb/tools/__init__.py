"""Everything around the service rather than in it: model files (synthetic, info, convert, download), the
benchmarks, the soak and the siege, and the harness they share with the real-process tests."""
