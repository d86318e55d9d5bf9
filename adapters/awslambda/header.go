package awslambda

// isTokenByte reports whether c may appear in an HTTP token (RFC 9110).
func isTokenByte(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isToken reports whether s is a non-empty HTTP token: a valid method or
// header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

// isCanonical reports whether k is a valid header name already in the form
// http.CanonicalHeaderKey gives it.
func isCanonical(k string) bool {
	if k == "" {
		return false
	}
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !isTokenByte(c) {
			return false
		}
		if upper && 'a' <= c && c <= 'z' {
			return false
		}
		if !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// appendCanonical appends the canonical form of the valid header name k.
func appendCanonical(b []byte, k string) []byte {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
		upper = c == '-'
	}
	return b
}

// commonHeader maps the lower-case names API Gateway and Function URLs send
// to their canonical form, so that decoding them allocates nothing.
var commonHeader = func() map[string]string {
	names := []string{
		"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
		"Cache-Control", "Connection", "Content-Encoding", "Content-Length", "Content-Type",
		"Cookie", "Date", "Etag", "Forwarded", "Host", "If-Match", "If-Modified-Since",
		"If-None-Match", "If-Unmodified-Since", "Origin", "Pragma", "Range", "Referer",
		"Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Te", "Upgrade", "User-Agent",
		"Via", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "X-Amzn-Trace-Id",
		"X-Amzn-Tls-Cipher-Suite", "X-Amzn-Tls-Version", "X-Api-Key", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Request-Id",
		"X-Requested-With", "Cloudfront-Viewer-Country", "Cloudfront-Forwarded-Proto",
		"Cloudfront-Is-Desktop-Viewer", "Cloudfront-Is-Mobile-Viewer",
		"Cloudfront-Is-Smarttv-Viewer", "Cloudfront-Is-Tablet-Viewer", "X-Amz-Cf-Id",
		"Sec-Ch-Ua", "Sec-Ch-Ua-Mobile", "Sec-Ch-Ua-Platform", "Upgrade-Insecure-Requests",
		"Priority", "Dnt", "Content-Md5", "Expect",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		lower := make([]byte, len(n))
		for i := 0; i < len(n); i++ {
			c := n[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		m[string(lower)] = n
	}
	return m
}()
