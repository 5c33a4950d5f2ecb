// Typed wrappers around libcurl's variadic entry points, so Swift never calls C varargs.
#ifndef MODELWATCH_CCURL_SHIM_H
#define MODELWATCH_CCURL_SHIM_H

#include <curl/curl.h>

/// Signature shared by CURLOPT_WRITEFUNCTION, CURLOPT_READFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*mw_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

static inline CURLcode mw_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mw_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mw_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mw_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mw_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mw_curl_easy_setopt_callback(CURL *handle, CURLoption option, mw_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode mw_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode mw_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLMcode mw_curl_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode mw_curl_multi_setopt_pointer(CURLM *handle, CURLMoption option, void *value) {
    return curl_multi_setopt(handle, option, value);
}

static inline CURLMcode mw_curl_multi_setopt_socket_callback(CURLM *handle, curl_socket_callback value) {
    return curl_multi_setopt(handle, CURLMOPT_SOCKETFUNCTION, value);
}

static inline CURLMcode mw_curl_multi_setopt_timer_callback(CURLM *handle, curl_multi_timer_callback value) {
    return curl_multi_setopt(handle, CURLMOPT_TIMERFUNCTION, value);
}

static inline CURLcode mw_curl_easy_setopt_opensocket_callback(CURL *handle, curl_opensocket_callback value) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, value);
}

static inline CURLcode mw_curl_easy_setopt_closesocket_callback(CURL *handle, curl_closesocket_callback value) {
    return curl_easy_setopt(handle, CURLOPT_CLOSESOCKETFUNCTION, value);
}

/// Macros built from other macros do not import into Swift; these constants carry their values.
static const long mw_curl_pause_cont = CURLPAUSE_CONT;
static const size_t mw_curl_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static const size_t mw_curl_readfunc_pause = CURL_READFUNC_PAUSE;
static const size_t mw_curl_readfunc_abort = CURL_READFUNC_ABORT;
static const long mw_curl_global_all = CURL_GLOBAL_ALL;
static const curl_socket_t mw_curl_socket_timeout = CURL_SOCKET_TIMEOUT;
static const curl_socket_t mw_curl_socket_bad = CURL_SOCKET_BAD;

#endif
