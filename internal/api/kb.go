package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/bot"
	"vigil/internal/i18n"
	"vigil/internal/kb"
)

// kbRoutes are the knowledge base, announcement and bot routes; agents
// read (internal articles included), supervisors write.
func (a *API) kbRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/kb/categories", auth.PermConversationRead, "Help-center categories", a.listKBCategories},
		{"POST", "/api/v1/kb/categories", auth.PermKBManage, "Create a help-center category", a.createKBCategory},
		{"PATCH", "/api/v1/kb/categories/{id}", auth.PermKBManage, "Rename or move a help-center category", a.updateKBCategory},
		{"GET", "/api/v1/kb/articles", auth.PermConversationRead, "Every article with its published version and draft", a.listArticles},
		{"POST", "/api/v1/kb/articles", auth.PermKBManage, "Create an article", a.createArticle},
		{"GET", "/api/v1/kb/articles/{id}", auth.PermConversationRead, "One article", a.article},
		{"PATCH", "/api/v1/kb/articles/{id}", auth.PermKBManage, "Change an article's slug, category, audience or position", a.updateArticle},
		{"PUT", "/api/v1/kb/articles/{id}/translations/{lang}", auth.PermKBManage, "Save a draft in a language", a.saveDraft},
		{"POST", "/api/v1/kb/articles/{id}/translations/{lang}/publish", auth.PermKBManage, "Publish the draft in a language", a.publishDraft},
		{"DELETE", "/api/v1/kb/articles/{id}/translations/{lang}/publish", auth.PermKBManage, "Take a language off the help center", a.unpublish},
		{"GET", "/api/v1/kb/articles/{id}/translations/{lang}/history", auth.PermConversationRead, "Every version in a language, newest first", a.articleHistory},
		{"POST", "/api/v1/kb/articles/{id}/examples", auth.PermConversationWrite, "Mark a customer's phrasing as answered by this article", a.addExample},
		{"GET", "/api/v1/kb/search", auth.PermConversationRead, "Search published articles, internal ones included", a.searchKB},
		{"GET", "/api/v1/announcements", auth.PermConversationRead, "Announcements that have not ended", a.listAnnouncements},
		{"POST", "/api/v1/announcements", auth.PermKBManage, "Create an announcement", a.createAnnouncement},
		{"PATCH", "/api/v1/announcements/{id}", auth.PermKBManage, "Change an announcement", a.updateAnnouncement},
		{"DELETE", "/api/v1/announcements/{id}", auth.PermKBManage, "Delete an announcement", a.deleteAnnouncement},
		{"GET", "/api/v1/bot/turns", auth.PermKBManage, "What the bot did, with confidence and outcome", a.listBotTurns},
		{"GET", "/api/v1/bot/report", auth.PermKBManage, "Bot outcomes and deflection rate", a.botReport},
	}
}

func pathLang(r *http.Request) (string, error) {
	lang := r.PathValue("lang")
	for _, l := range kb.Languages {
		if l == lang {
			return lang, nil
		}
	}
	return "", apperr.NotFoundf("kb.language_invalid", "language must be one of %s", strings.Join(kb.Languages, ", "))
}

func (a *API) listKBCategories(w http.ResponseWriter, r *http.Request) {
	list(a, w, r, a.KB.Categories)
}

func (a *API) createKBCategory(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusCreated, func(ctx context.Context, in kb.CategoryInput, _ int64) (kb.Category, error) {
		return a.KB.CreateCategory(ctx, in)
	})
}

func (a *API) updateKBCategory(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in kb.CategoryInput, id int64) (kb.Category, error) {
		return a.KB.UpdateCategory(ctx, id, in)
	})
}

func (a *API) listArticles(w http.ResponseWriter, r *http.Request) { list(a, w, r, a.KB.Articles) }

func (a *API) createArticle(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusCreated, func(ctx context.Context, in kb.ArticleInput, _ int64) (kb.Article, error) {
		return a.KB.CreateArticle(ctx, in)
	})
}

func (a *API) article(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	art, err := a.KB.Article(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, art)
}

func (a *API) updateArticle(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in kb.ArticleInput, id int64) (kb.Article, error) {
		return a.KB.UpdateArticle(ctx, id, in)
	})
}

// translation reads the {id} article and {lang} of a translation route.
func (a *API) translation(w http.ResponseWriter, r *http.Request) (int64, string, bool) {
	id, err := pathID(r, "id")
	if err == nil {
		var lang string
		if lang, err = pathLang(r); err == nil {
			return id, lang, true
		}
	}
	WriteError(w, r, a.Logger, err)
	return 0, "", false
}

func (a *API) saveDraft(w http.ResponseWriter, r *http.Request) {
	id, lang, ok := a.translation(w, r)
	if !ok {
		return
	}
	var in kb.VersionInput
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	v, err := a.KB.SaveDraft(r.Context(), PrincipalFrom(r.Context()).AgentID, id, lang, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

func (a *API) publishDraft(w http.ResponseWriter, r *http.Request) {
	id, lang, ok := a.translation(w, r)
	if !ok {
		return
	}
	v, err := a.KB.Publish(r.Context(), id, lang)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, v)
}

func (a *API) unpublish(w http.ResponseWriter, r *http.Request) {
	id, lang, ok := a.translation(w, r)
	if !ok {
		return
	}
	if err := a.KB.Unpublish(r.Context(), id, lang); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) articleHistory(w http.ResponseWriter, r *http.Request) {
	id, lang, ok := a.translation(w, r)
	if !ok {
		return
	}
	list, err := a.KB.History(r.Context(), id, lang)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[kb.Version]{Data: list})
}

type exampleRequest struct {
	Language string `json:"language"`
	Text     string `json:"text"`
}

func (a *API) addExample(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in exampleRequest
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := a.KB.AddExample(r.Context(), PrincipalFrom(r.Context()).AgentID, id, in.Language, in.Text); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) searchKB(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if len(q) > 500 {
		WriteError(w, r, a.Logger, apperr.Field("q", "kb.query_too_long", "must be at most 500 bytes"))
		return
	}
	lang := i18n.Normalize(r.URL.Query().Get("lang"))
	limit, err := pageLimit(r, 10, 50)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	hits := a.KB.Search(q, kb.SearchOptions{Language: lang, Internal: true, Limit: limit})
	WriteJSON(w, http.StatusOK, Page[kb.Hit]{Data: hits})
}

func (a *API) listAnnouncements(w http.ResponseWriter, r *http.Request) { list(a, w, r, a.KB.Current) }

func (a *API) createAnnouncement(w http.ResponseWriter, r *http.Request) {
	agentID := PrincipalFrom(r.Context()).AgentID
	save(a, w, r, http.StatusCreated, func(ctx context.Context, in kb.AnnouncementInput, _ int64) (kb.Announcement, error) {
		return a.KB.CreateAnnouncement(ctx, agentID, in)
	})
}

func (a *API) updateAnnouncement(w http.ResponseWriter, r *http.Request) {
	save(a, w, r, http.StatusOK, func(ctx context.Context, in kb.AnnouncementInput, id int64) (kb.Announcement, error) {
		return a.KB.UpdateAnnouncement(ctx, id, in)
	})
}

func (a *API) deleteAnnouncement(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.KB.DeleteAnnouncement)
}

func (a *API) listBotTurns(w http.ResponseWriter, r *http.Request) {
	before, err := queryInt(r, "cursor")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	limit, err := pageLimit(r, 50, 200)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	list, err := a.Bot.Turns(r.Context(), before, limit)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var next int64
	if len(list) == limit {
		next = list[len(list)-1].ID
	}
	WriteJSON(w, http.StatusOK, Page[bot.Turn]{Data: list, NextCursor: cursor(next)})
}

// botReport covers the last ?days= days (7 by default, at most 90).
func (a *API) botReport(w http.ResponseWriter, r *http.Request) {
	days := 7
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 90 {
			WriteError(w, r, a.Logger, apperr.Field("days", "bot.days_invalid", "must be a whole number from 1 to 90"))
			return
		}
		days = n
	}
	rep, err := a.Bot.ReportLast(r.Context(), time.Duration(days)*24*time.Hour)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, rep)
}
