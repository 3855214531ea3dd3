package api

import (
	"context"
	"net/http"

	"vigil/internal/apperr"
	"vigil/internal/auth"
	"vigil/internal/channel/settings"
)

// channelSettingsRoutes are the administrators' channel settings.
func (a *API) channelSettingsRoutes() []Route {
	return []Route{
		{"GET", "/api/v1/channel-settings", auth.PermSettingsManage, "Channel addresses and credentials (secrets masked)", a.listChannelSettings},
		{"PUT", "/api/v1/channel-settings", auth.PermSettingsManage, "Change channel settings; they apply at the next start", a.saveChannelSettings},
	}
}

// ChannelSettings is what the settings page and API show.
type ChannelSettings struct {
	Data []settings.Setting `json:"data"`
	// RestartRequired is true once settings were saved after this
	// instance started: adapters read them at start.
	RestartRequired bool `json:"restart_required"`
}

// ChannelSettings lists the settings for an administrator.
func (a *API) ChannelSettings(ctx context.Context, p auth.Principal) (ChannelSettings, error) {
	if !p.Can(auth.PermSettingsManage) {
		return ChannelSettings{}, apperr.Forbiddenf("auth.forbidden", "administrators only")
	}
	if a.Settings == nil {
		return ChannelSettings{}, apperr.New(apperr.Unavailable, "settings.unavailable", "channel settings are not available")
	}
	list, err := a.Settings.List(ctx)
	if err != nil {
		return ChannelSettings{}, err
	}
	restart, err := a.Settings.RestartRequired(ctx)
	return ChannelSettings{Data: list, RestartRequired: restart}, err
}

// SaveChannelSettings applies an administrator's changes: a value sets a
// setting, an empty string removes it, a name left out stays as it is.
func (a *API) SaveChannelSettings(ctx context.Context, p auth.Principal, values map[string]string) (ChannelSettings, error) {
	if !p.Can(auth.PermSettingsManage) {
		return ChannelSettings{}, apperr.Forbiddenf("auth.forbidden", "administrators only")
	}
	if a.Settings == nil {
		return ChannelSettings{}, apperr.New(apperr.Unavailable, "settings.unavailable", "channel settings are not available")
	}
	if err := a.Settings.Save(ctx, values); err != nil {
		return ChannelSettings{}, err
	}
	return a.ChannelSettings(ctx, p)
}

func (a *API) listChannelSettings(w http.ResponseWriter, r *http.Request) {
	out, err := a.ChannelSettings(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

type channelSettingsRequest struct {
	Values map[string]string `json:"values"`
}

func (a *API) saveChannelSettings(w http.ResponseWriter, r *http.Request) {
	var req channelSettingsRequest
	if err := Decode(w, r, 32<<10, &req); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	out, err := a.SaveChannelSettings(r.Context(), PrincipalFrom(r.Context()), req.Values)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}
