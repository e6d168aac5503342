/* tls-backend: prints the TLS backend libymawky was built with (for the scripts' logs). */
#include <stdio.h>
#include <ymawky.h>

int main(void)
{
	const char *b = ymk_tls_backend();
	puts(b ? b : "none");
	return b ? 0 : 1;
}
