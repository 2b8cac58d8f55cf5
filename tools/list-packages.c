/* list-packages.c - load an SSPI provider the way FreeRDP does (dlopen, then
 * InitSecurityInterfaceW) and list its packages with EnumerateSecurityPackagesW, plus whether
 * AcquireCredentialsHandleW works for each (outbound, no explicit credentials).
 *
 * usage: ocs-list-packages [path-to-provider.so]   (default: the library built alongside)
 * SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>
#include <stdio.h>

#include <opencredssp/sspi.h>

static void PrintWide(const SEC_WCHAR* s) {
  /* Package names and comments are ASCII. */
  for (; s != NULL && *s != 0; ++s) putchar(*s < 0x80 ? (int)*s : '?');
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : OCS_LIBRARY_PATH;
  void* dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
    return 1;
  }
  INIT_SECURITY_INTERFACE_W init = (INIT_SECURITY_INTERFACE_W)dlsym(dl, SECURITY_ENTRYPOINTW);
  if (init == NULL) {
    fprintf(stderr, "%s does not export %s\n", path, SECURITY_ENTRYPOINTW);
    return 1;
  }
  PSecurityFunctionTableW t = init();
  if (t == NULL) {
    fprintf(stderr, "InitSecurityInterfaceW returned NULL\n");
    return 1;
  }
  ULONG n = 0;
  PSecPkgInfoW info = NULL;
  SECURITY_STATUS st = t->EnumerateSecurityPackagesW(&n, &info);
  if (st != SEC_E_OK) {
    fprintf(stderr, "EnumerateSecurityPackagesW: 0x%08x\n", (unsigned)st);
    return 1;
  }
  printf("%s: SecurityFunctionTableW version %u, %u packages\n", path, (unsigned)t->dwVersion,
         (unsigned)n);
  printf("%-10s %-10s %3s %6s %8s  %-14s %s\n", "Name", "Caps", "Ver", "RPCID", "MaxToken",
         "ACH(inbound)", "Comment");
  for (ULONG i = 0; i < n; ++i) {
    CredHandle cred;
    TimeStamp expiry;
    /* A server credential with NULL auth data works for every implemented package (default
       user store, default certificate); a client credential would need a user and password. */
    SECURITY_STATUS ach = t->AcquireCredentialsHandleW(NULL, info[i].Name, SECPKG_CRED_INBOUND,
                                                       NULL, NULL, NULL, NULL, &cred, &expiry);
    if (ach == SEC_E_OK) t->FreeCredentialsHandle(&cred);
    PrintWide(info[i].Name);
    for (int pad = 0; info[i].Name != NULL && pad < 10; ++pad) {
      if (info[i].Name[pad] == 0) {
        for (; pad < 10; ++pad) putchar(' ');
        break;
      }
    }
    printf(" 0x%08x %3u %6u %8u  %-14s ", (unsigned)info[i].fCapabilities,
           (unsigned)info[i].wVersion, (unsigned)info[i].wRPCID, (unsigned)info[i].cbMaxToken,
           ach == SEC_E_OK                      ? "ok"
           : ach == SEC_E_UNSUPPORTED_FUNCTION  ? "unsupported"
                                                : "error");
    PrintWide(info[i].Comment);
    if (ach != SEC_E_OK && ach != SEC_E_UNSUPPORTED_FUNCTION) printf(" (0x%08x)", (unsigned)ach);
    putchar('\n');
  }
  t->FreeContextBuffer(info);
  return 0;
}
