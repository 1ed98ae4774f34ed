package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"

	"privaq"
	"privaq/internal/audit"
	"privaq/internal/org"
)

type loginView struct {
	*Page
	Email string
	Next  string
	Error string
}

// safeNext keeps a post-login redirect inside the admin.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/admin/"
}

func (w *Web) handleLoginForm(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	p.Title = p.T("login.title")
	w.render(rw, r, "login", &loginView{Page: p, Next: safeNext(r.URL.Query().Get("next"))})
}

func (w *Web) setSession(rw http.ResponseWriter, raw string, maxAge int) {
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: raw, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, Secure: w.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (w *Web) handleLogin(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	p.Title = p.T("login.title")
	v := &loginView{Page: p, Email: r.PostFormValue("email"), Next: safeNext(r.PostFormValue("next"))}
	raw, sess, err := w.Orgs.Login(r.Context(), v.Email, r.PostFormValue("password"), audit.TruncateIP(r.RemoteAddr))
	if err != nil {
		switch privaq.ErrorCode(err) {
		case privaq.EUnauthorized:
			v.Error, p.Status = p.T("login.wrong"), http.StatusUnauthorized
		case privaq.ERateLimited:
			v.Error, p.Status = p.T("error.rate_limited"), http.StatusTooManyRequests
		default:
			w.Log.ErrorContext(r.Context(), "login_failed", "err", err)
			v.Error, p.Status = p.T("error.internal"), http.StatusInternalServerError
		}
		w.render(rw, r, "login", v)
		return
	}
	w.setSession(rw, raw, int(org.SessionTTL.Seconds()))
	if sess.MFAPending {
		http.Redirect(rw, r, "/admin/login/totp?next="+v.Next, http.StatusSeeOther)
		return
	}
	http.Redirect(rw, r, v.Next, http.StatusSeeOther)
}

func (w *Web) pendingSession(r *http.Request) (org.Session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return org.Session{}, privaq.Errorf(privaq.EUnauthorized, "please sign in")
	}
	sess, _, err := w.Orgs.Resolve(r.Context(), ck.Value)
	return sess, err
}

func (w *Web) handleTOTPForm(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	if _, err := w.pendingSession(r); err != nil {
		http.Redirect(rw, r, "/admin/login", http.StatusSeeOther)
		return
	}
	p.Title = p.T("totp.title")
	w.render(rw, r, "totp", &loginView{Page: p, Next: safeNext(r.URL.Query().Get("next"))})
}

func (w *Web) handleTOTP(rw http.ResponseWriter, r *http.Request) {
	p := w.newPage(rw, r)
	p.Title = p.T("totp.title")
	sess, err := w.pendingSession(r)
	if err != nil {
		http.Redirect(rw, r, "/admin/login", http.StatusSeeOther)
		return
	}
	v := &loginView{Page: p, Next: safeNext(r.PostFormValue("next"))}
	if _, err := w.Orgs.VerifyTOTP(r.Context(), sess, r.PostFormValue("code"), audit.TruncateIP(r.RemoteAddr)); err != nil {
		switch privaq.ErrorCode(err) {
		case privaq.ERateLimited:
			v.Error, p.Status = p.T("error.rate_limited"), http.StatusTooManyRequests
		case privaq.EValidation:
			v.Error, p.Status = p.T("totp.wrong"), http.StatusUnprocessableEntity
		default:
			w.Log.ErrorContext(r.Context(), "totp_failed", "err", err)
			v.Error, p.Status = p.T("error.internal"), http.StatusInternalServerError
		}
		w.render(rw, r, "totp", v)
		return
	}
	http.Redirect(rw, r, v.Next, http.StatusSeeOther)
}

func (w *Web) handleLogout(rw http.ResponseWriter, r *http.Request, q *req) error {
	if err := w.Orgs.Logout(r.Context(), q.sess, audit.TruncateIP(r.RemoteAddr)); err != nil {
		return err
	}
	w.setSession(rw, "", -1)
	http.Redirect(rw, r, "/admin/login", http.StatusSeeOther)
	return nil
}

func (w *Web) handleHome(rw http.ResponseWriter, r *http.Request, q *req) error {
	for _, m := range q.Orgs {
		if m.Org.ID == q.sess.OrgID {
			http.Redirect(rw, r, "/admin/o/"+m.Org.Slug+"/", http.StatusSeeOther)
			return nil
		}
	}
	if len(q.Orgs) > 0 {
		http.Redirect(rw, r, "/admin/o/"+q.Orgs[0].Org.Slug+"/", http.StatusSeeOther)
		return nil
	}
	http.Redirect(rw, r, "/admin/orgs", http.StatusSeeOther)
	return nil
}

type accountView struct {
	*Page
	Secret string
	QR     template.URL // a data: URL of our own making, safe to embed
	Error  string
}

func (w *Web) handleAccount(rw http.ResponseWriter, r *http.Request, q *req) error {
	return w.showAccount(rw, r, q, "", "")
}

// showAccount offers TOTP enrolment with a new secret each time the page is
// shown; the secret travels in the form and is saved only once a code
// generated from it is confirmed.
func (w *Web) showAccount(rw http.ResponseWriter, r *http.Request, q *req, secret, errMsg string) error {
	v := &accountView{Page: q.Page, Error: errMsg}
	q.Title, q.Nav = q.T("account.title"), "account"
	if !q.user.TOTPEnabled {
		if secret == "" {
			key, err := w.Orgs.NewTOTP(q.user)
			if err != nil {
				return err
			}
			secret = key.Secret()
		}
		v.Secret = secret
		if key, err := otpKey(q.user.Email, secret); err == nil {
			if img, err := key.Image(200, 200); err == nil {
				var buf bytes.Buffer
				if png.Encode(&buf, img) == nil {
					v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
				}
			}
		}
	}
	if errMsg != "" {
		q.Status = http.StatusUnprocessableEntity
	}
	w.render(rw, r, "account", v)
	return nil
}

func (w *Web) handleTOTPEnable(rw http.ResponseWriter, r *http.Request, q *req) error {
	secret := r.PostFormValue("secret")
	err := w.Orgs.EnableTOTP(r.Context(), q.user, secret, r.PostFormValue("code"), audit.TruncateIP(r.RemoteAddr))
	if privaq.IsCode(err, privaq.EValidation) {
		return w.showAccount(rw, r, q, secret, q.T("totp.wrong"))
	}
	if err != nil {
		return err
	}
	http.Redirect(rw, r, "/admin/account?done=1", http.StatusSeeOther)
	return nil
}

func otpKey(email, secret string) (*otp.Key, error) {
	return otp.NewKeyFromURL("otpauth://totp/privaq:" + url.PathEscape(email) + "?secret=" + url.QueryEscape(secret) + "&issuer=privaq")
}
