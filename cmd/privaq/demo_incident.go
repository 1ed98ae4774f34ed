package main

import (
	"context"
	"time"

	"privaq"
	"privaq/internal/incident"
)

// recordDemoIncident puts one minor incident in the demo's register,
// unless it has one: an email sent to the wrong parent, assessed without
// a risk of serious injury and closed, as most entries of a small
// organization's register are.
func recordDemoIncident(ctx context.Context, incidents *incident.Service, org privaq.OrgID) error {
	actor := privaq.System(org)
	list, err := incidents.List(ctx, actor, org, incident.Filter{})
	if err != nil || len(list) > 0 {
		return err
	}
	day := time.Now().UTC().AddDate(0, 0, -12).Format(time.DateOnly)
	one := 1
	inc, err := incidents.Declare(ctx, actor, org, incident.Input{
		Kind: string(incident.KindCommunication), OccurredFrom: day, DiscoveredAt: day + "T15:20:00Z",
		Description: "Le reçu d’inscription au camp de jour d’un enfant a été envoyé par courriel à un autre parent, " +
			"dont l’adresse ressemblait à celle du destinataire.",
		Cause:          "Erreur de saisie de l’adresse courriel.",
		DataCategories: []string{"identity"}, PeopleCount: &one, PeopleInQuebec: &one,
		Systems:  []string{"m365"},
		Measures: "Le parent qui a reçu le courriel a confirmé l’avoir supprimé ; l’équipe vérifie désormais l’adresse avant l’envoi d’un reçu.",
	})
	if err != nil {
		return err
	}
	no := false
	if _, err := incidents.Assess(ctx, actor, org, inc.ID, incident.AssessmentInput{Sensitivity: "low", Consequences: "low", Likelihood: "low",
		Serious: &no, Grounds: "Nom et adresse d’un parent seulement, reçus par un seul parent de la même organisation, qui a supprimé le courriel."}); err != nil {
		return err
	}
	_, err = incidents.Update(ctx, actor, org, inc.ID, func(*incident.Input) error { return nil }, incident.StatusClosed)
	return err
}
