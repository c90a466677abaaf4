// The start-up routine of POSIX programs (userprogs/posix/*.c).
//
// exec leaves the stack a call to main(argc, argv) would find: a fake return
// address, argc, argv. xv6's own programs are entered at main itself and must
// call exit(); a POSIX program is entered here instead (the linker's entry
// point is _start), so that returning from main works: its value goes to
// exit(), which flushes stdio and ends the process with that status.

int main(int argc, char **argv);
void exit(int status) __attribute__((noreturn));

void _start(int argc, char **argv) __attribute__((noreturn));

// argv[0] without its directory, as glibc's __progname (assert's messages).
char *__progname = "";

void
_start(int argc, char **argv)
{
  if(argc > 0 && argv[0] != 0){
    __progname = argv[0];
    for(char *s = argv[0]; *s; s++)
      if(*s == '/')
        __progname = s + 1;
  }
  exit(main(argc, argv));
}
