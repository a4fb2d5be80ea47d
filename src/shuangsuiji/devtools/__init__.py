"""Developer tools: throwaway services for tests and benchmarks."""
