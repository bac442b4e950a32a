// entrytrace ADDRESSES OUT -- PROGRAM ARGS...
//
// Which pieces of code a run of PROGRAM enters (scripts/code-layout, issue 13). PROGRAM runs under ptrace with
// a one-shot breakpoint (int3) on the first byte of every address listed in ADDRESSES (hexadecimal, one per line,
// as the ELF file numbers them: the start of each input section of the executable's .text, from the linker's
// map). The first time a thread reaches one, the address is appended to OUT and the original byte put back, so
// each costs one trap; a thread that reaches it while another has it restored is simply resumed. Threads are
// followed; SIGTERM and SIGINT sent to entrytrace are passed on, so PROGRAM can stop gracefully. Exits with
// PROGRAM's status.
//
// Sampling profilers miss code that runs once or briefly, and compiler profiles (-profile-generate) name neither
// the compiler's own helpers nor functions without a symbol; this sees every entry.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;
static uint64_t *addresses;
static unsigned char *original, *seen;
static size_t count;

static void pass_on(int sig) { kill(child, sig); }

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static long find(uint64_t address) {
  size_t low = 0, high = count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    if (addresses[middle] < address) low = middle + 1; else high = middle;
  }
  return low < count && addresses[low] == address ? (long)low : -1;
}

static void read_addresses(const char *path) {
  FILE *file = fopen(path, "r");
  if (!file) { perror(path); exit(2); }
  size_t capacity = 1 << 16;
  addresses = malloc(capacity * sizeof *addresses);
  char line[64];
  while (fgets(line, sizeof line, file)) {
    if (count == capacity) addresses = realloc(addresses, (capacity *= 2) * sizeof *addresses);
    addresses[count++] = strtoull(line, 0, 16);
  }
  fclose(file);
  qsort(addresses, count, sizeof *addresses, compare);
  size_t unique = 0;
  for (size_t i = 0; i < count; i++)
    if (i == 0 || addresses[i] != addresses[i - 1]) addresses[unique++] = addresses[i];
  count = unique;
  original = malloc(count);
  seen = calloc(count, 1);
}

// Where the kernel mapped the executable: the start of its mapping at file offset 0 (a PIE's first segment).
static uint64_t load_bias(pid_t pid) {
  char path[64], exe[4096], line[8192];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  ssize_t length = readlink(path, exe, sizeof exe - 1);
  if (length <= 0) return 0;
  exe[length] = 0;
  snprintf(path, sizeof path, "/proc/%d/maps", pid);
  FILE *maps = fopen(path, "r");
  uint64_t bias = 0;
  while (fgets(line, sizeof line, maps)) {
    unsigned long start, end, offset;
    char permissions[8];
    if (sscanf(line, "%lx-%lx %7s %lx", &start, &end, permissions, &offset) == 4 && offset == 0 && strstr(line, exe)) {
      bias = start;
      break;
    }
  }
  fclose(maps);
  return bias;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: entrytrace ADDRESSES OUT -- PROGRAM ARGS...\n");
    return 2;
  }
  read_addresses(argv[1]);
  FILE *out = fopen(argv[2], "w");
  if (!out) { perror(argv[2]); return 2; }

  child = fork();
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[4], argv + 4);
    _exit(127);
  }
  int status;
  waitpid(child, &status, 0);  // stopped at the exec, before the program's first instruction
  if (!WIFSTOPPED(status)) return 127;
  ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);

  uint64_t bias = load_bias(child);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", child);
  int memory = open(path, O_RDWR);  // a tracer may write the tracee's read-only code through it
  unsigned char trap = 0xCC;
  size_t armed = 0;
  for (size_t i = 0; i < count; i++) {
    if (pread(memory, &original[i], 1, bias + addresses[i]) == 1 && pwrite(memory, &trap, 1, bias + addresses[i]) == 1)
      armed++;
    else
      seen[i] = 2;
  }
  fprintf(stderr, "entrytrace: %zu of %zu breakpoints armed\n", armed, count);

  signal(SIGTERM, pass_on);
  signal(SIGINT, pass_on);
  ptrace(PTRACE_CONT, child, 0, 0);
  int code = 0;
  for (;;) {
    pid_t thread = waitpid(-1, &status, __WALL);
    if (thread < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      if (thread == child) {
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      continue;
    }
    if (!WIFSTOPPED(status)) continue;
    int sig = WSTOPSIG(status);
    if (sig == SIGTRAP && (status >> 16) != 0) {  // PTRACE_EVENT_CLONE: a new thread, followed from now on
      ptrace(PTRACE_CONT, thread, 0, 0);
      continue;
    }
    if (sig == SIGTRAP) {
      struct user_regs_struct registers;
      ptrace(PTRACE_GETREGS, thread, 0, &registers);
      long i = find(registers.rip - 1 - bias);
      if (i >= 0) {
        if (!seen[i]) {
          pwrite(memory, &original[i], 1, bias + addresses[i]);
          seen[i] = 1;
          fprintf(out, "%lx\n", (unsigned long)addresses[i]);
          fflush(out);
        }
        registers.rip -= 1;
        ptrace(PTRACE_SETREGS, thread, 0, &registers);
        ptrace(PTRACE_CONT, thread, 0, 0);
        continue;
      }
    }
    // A new thread's first stop is a SIGSTOP of our making; any other signal is the program's own.
    ptrace(PTRACE_CONT, thread, 0, sig == SIGSTOP ? 0 : sig);
  }
  fclose(out);
  return code;
}
