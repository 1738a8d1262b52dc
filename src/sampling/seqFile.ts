// When a read(2) of a procfs seq_file shows that the file has ended, so that the read that would return 0 can be
// skipped. For /proc/net/tcp and tcp6 that last read costs as much as the rest of a small table: at EOF the kernel
// cannot resume where the previous read stopped (net/ipv4/tcp_ipv4.c tcp_seek_last_pos finds nothing past the last
// bucket), so tcp_seq_start falls back to tcp_get_idx and walks the whole established hash (262,144 buckets here)
// again, only to find no row. Measured here: /proc/net/tcp6 with no socket costs 3.9 ms of CPU read to EOF and
// 1.7 ms without the final read; /proc/net/tcp with 90 rows 4.0 and 2.1 ms.
//
// fs/seq_file.c seq_read_iter fills one read from a buffer of one page (m->size = PAGE_SIZE; it doubles only when a
// single record does not fit, and a /proc/net/tcp{,6} row is 150-180 bytes) and ends the read early for three
// reasons only: the iterator has no next record (the end of the table), the caller's count is reached, or the next
// record does not fit in the buffer. So when the caller asked for more than a page and got less than a page minus
// the longest record, the iterator had ended. The smallest page Linux has is 4 KiB: using it keeps the rule right
// on systems with larger pages, which only makes it apply less often.

/** The smallest page size Linux runs with, bytes: the least a seq_file read can fill before it must stop. */
const MIN_PAGE_BYTES = 4096;

/** More than any /proc/net/tcp{,6} row (IPv4 rows are padded to 150 bytes, IPv6 rows are ~175). */
const MAX_RECORD_BYTES = 512;

/**
 * True when a read(2) of `asked` bytes that returned `got` (> 0) bytes of a seq_file shows the file has no more:
 * the next read would return 0.
 */
export function seqFileEnded(got: number, asked: number): boolean {
  return asked >= MIN_PAGE_BYTES && got > 0 && got <= MIN_PAGE_BYTES - MAX_RECORD_BYTES;
}
