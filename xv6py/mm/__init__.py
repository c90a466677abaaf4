"""Memory management: the physical page allocator (kalloc) and paging (pgdir)."""
