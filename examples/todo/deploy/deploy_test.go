// Package deploy_test checks the to-do example's monitoring definitions
// (CloudWatch dashboard, Cloud Monitoring alert policies and dashboard,
// Azure Resource Manager alerts and availability test) against the field
// names their formats document, and that no secret sits in a template or a
// settings file. cfn-lint checks the rest of the SAM template in CI.
package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// shape is what a JSON value may hold: for an object, its documented
// fields (a nil shape is a value not looked into); for an array, the shape
// of its elements (items); values of enumerated fields are checked by
// enums.
type shape struct {
	fields map[string]*shape
	items  *shape
	enum   []string
	open   bool // an object whose keys are free (labels, tags)
}

func obj(fields map[string]*shape) *shape { return &shape{fields: fields} }
func arr(items *shape) *shape             { return &shape{items: items} }
func enum(vals ...string) *shape          { return &shape{enum: vals} }

var (
	leaf     *shape
	freeKeys = &shape{open: true}
)

// check walks v against s and returns one message per undocumented field
// or value.
func check(path string, v any, s *shape) []string {
	if s == nil {
		return nil
	}
	var errs []string
	switch {
	case s.enum != nil:
		str := fmt.Sprint(v)
		for _, e := range s.enum {
			if e == str {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s: %q is not one of %v", path, str, s.enum)}
	case s.items != nil:
		a, ok := v.([]any)
		if !ok {
			return []string{path + ": not an array"}
		}
		for i, e := range a {
			errs = append(errs, check(fmt.Sprintf("%s[%d]", path, i), e, s.items)...)
		}
	case s.open:
		if _, ok := v.(map[string]any); !ok {
			return []string{path + ": not an object"}
		}
	case s.fields != nil:
		m, ok := v.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := s.fields[k]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: field %q is not documented for this object", path, k))
				continue
			}
			errs = append(errs, check(path+"."+k, m[k], sub)...)
		}
	}
	return errs
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func report(t *testing.T, file string, errs []string) {
	t.Helper()
	for _, e := range errs {
		t.Errorf("%s: %s", file, e)
	}
}

// Cloud Monitoring (monitoring.googleapis.com v3): AlertPolicy and
// Dashboard resources, as the REST reference documents them.
var (
	gcpAligner = enum("ALIGN_NONE", "ALIGN_DELTA", "ALIGN_RATE", "ALIGN_INTERPOLATE", "ALIGN_NEXT_OLDER", "ALIGN_MIN",
		"ALIGN_MAX", "ALIGN_MEAN", "ALIGN_COUNT", "ALIGN_SUM", "ALIGN_STDDEV", "ALIGN_COUNT_TRUE", "ALIGN_COUNT_FALSE",
		"ALIGN_FRACTION_TRUE", "ALIGN_PERCENTILE_99", "ALIGN_PERCENTILE_95", "ALIGN_PERCENTILE_50", "ALIGN_PERCENTILE_05",
		"ALIGN_PERCENT_CHANGE")
	gcpReducer = enum("REDUCE_NONE", "REDUCE_MEAN", "REDUCE_MIN", "REDUCE_MAX", "REDUCE_SUM", "REDUCE_STDDEV",
		"REDUCE_COUNT", "REDUCE_COUNT_TRUE", "REDUCE_COUNT_FALSE", "REDUCE_FRACTION_TRUE", "REDUCE_PERCENTILE_99",
		"REDUCE_PERCENTILE_95", "REDUCE_PERCENTILE_50", "REDUCE_PERCENTILE_05")
	gcpAggregation = obj(map[string]*shape{"alignmentPeriod": leaf, "perSeriesAligner": gcpAligner,
		"crossSeriesReducer": gcpReducer, "groupByFields": leaf})
	gcpTrigger = obj(map[string]*shape{"count": leaf, "percent": leaf})

	gcpAlertPolicy = obj(map[string]*shape{
		"name": leaf, "displayName": leaf, "userLabels": freeKeys, "enabled": leaf, "validity": leaf,
		"notificationChannels": leaf, "creationRecord": leaf, "mutationRecord": leaf,
		"combiner":      enum("AND", "OR", "AND_WITH_MATCHING_RESOURCE"),
		"severity":      enum("CRITICAL", "ERROR", "WARNING"),
		"documentation": obj(map[string]*shape{"content": leaf, "mimeType": enum("text/markdown"), "subject": leaf, "links": leaf}),
		"alertStrategy": obj(map[string]*shape{"notificationRateLimit": leaf, "autoClose": leaf,
			"notificationChannelStrategy": leaf, "notificationPrompts": leaf}),
		"conditions": arr(obj(map[string]*shape{
			"name": leaf, "displayName": leaf, "conditionAbsent": leaf, "conditionMatchedLog": leaf,
			"conditionMonitoringQueryLanguage": leaf, "conditionPrometheusQueryLanguage": leaf, "conditionSql": leaf,
			"conditionThreshold": obj(map[string]*shape{
				"filter": leaf, "aggregations": arr(gcpAggregation), "denominatorFilter": leaf,
				"denominatorAggregations": arr(gcpAggregation), "forecastOptions": leaf,
				"comparison":     enum("COMPARISON_GT", "COMPARISON_GE", "COMPARISON_LT", "COMPARISON_LE", "COMPARISON_EQ", "COMPARISON_NE"),
				"thresholdValue": leaf, "duration": leaf, "trigger": gcpTrigger,
				"evaluationMissingData": enum("EVALUATION_MISSING_DATA_INACTIVE", "EVALUATION_MISSING_DATA_ACTIVE", "EVALUATION_MISSING_DATA_NO_OP"),
			}),
		})),
	})

	gcpTimeSeriesFilter = obj(map[string]*shape{"filter": leaf, "aggregation": gcpAggregation,
		"secondaryAggregation": gcpAggregation, "pickTimeSeriesFilter": leaf, "statisticalTimeSeriesFilter": leaf})
	gcpTimeSeriesQuery = obj(map[string]*shape{
		"timeSeriesFilter": gcpTimeSeriesFilter,
		"timeSeriesFilterRatio": obj(map[string]*shape{
			"numerator":            obj(map[string]*shape{"filter": leaf, "aggregation": gcpAggregation}),
			"denominator":          obj(map[string]*shape{"filter": leaf, "aggregation": gcpAggregation}),
			"secondaryAggregation": gcpAggregation, "pickTimeSeriesFilter": leaf, "statisticalTimeSeriesFilter": leaf}),
		"timeSeriesQueryLanguage": leaf, "prometheusQuery": leaf, "unitOverride": leaf, "outputFullDuration": leaf,
	})
	gcpThreshold = obj(map[string]*shape{"label": leaf, "value": leaf,
		"color":      enum("COLOR_UNSPECIFIED", "GREY", "BLUE", "GREEN", "YELLOW", "ORANGE", "RED"),
		"direction":  enum("DIRECTION_UNSPECIFIED", "ABOVE", "BELOW"),
		"targetAxis": enum("TARGET_AXIS_UNSPECIFIED", "Y1", "Y2")})
	gcpWidget = obj(map[string]*shape{
		"title": leaf, "id": leaf, "text": leaf, "blank": leaf, "alertChart": leaf, "timeSeriesTable": leaf,
		"collapsibleGroup": leaf, "incidentList": leaf, "pieChart": leaf, "errorReportingPanel": leaf,
		"sectionHeader": leaf, "singleViewGroup": leaf, "filterControl": leaf, "visibilityCondition": leaf,
		"xyChart": obj(map[string]*shape{
			"dataSets": arr(obj(map[string]*shape{"timeSeriesQuery": gcpTimeSeriesQuery,
				"plotType":       enum("PLOT_TYPE_UNSPECIFIED", "LINE", "STACKED_AREA", "STACKED_BAR", "HEATMAP"),
				"legendTemplate": leaf, "minAlignmentPeriod": leaf, "targetAxis": enum("TARGET_AXIS_UNSPECIFIED", "Y1", "Y2"),
				"breakdowns": leaf, "dimensions": leaf, "measures": leaf})),
			"timeshiftDuration": leaf, "thresholds": arr(gcpThreshold), "xAxis": leaf, "yAxis": leaf, "y2Axis": leaf, "chartOptions": leaf}),
		"scorecard": obj(map[string]*shape{"timeSeriesQuery": gcpTimeSeriesQuery, "gaugeView": leaf,
			"sparkChartView": obj(map[string]*shape{"sparkChartType": enum("SPARK_CHART_TYPE_UNSPECIFIED", "SPARK_LINE", "SPARK_BAR"), "minAlignmentPeriod": leaf}),
			"thresholds":     arr(gcpThreshold), "blankView": leaf, "breakdowns": leaf, "dimensions": leaf, "measures": leaf}),
		"logsPanel": obj(map[string]*shape{"filter": leaf, "resourceNames": leaf}),
	})
	gcpDashboard = obj(map[string]*shape{
		"name": leaf, "displayName": leaf, "etag": leaf, "labels": freeKeys, "dashboardFilters": leaf,
		"gridLayout": leaf, "rowLayout": leaf, "columnLayout": leaf,
		"mosaicLayout": obj(map[string]*shape{"columns": leaf, "tiles": arr(obj(map[string]*shape{
			"xPos": leaf, "yPos": leaf, "width": leaf, "height": leaf, "widget": gcpWidget}))}),
	})
)

func TestGoogleCloudMonitoringDefinitions(t *testing.T) {
	files, _ := filepath.Glob("gcp/monitoring/alert-*.json")
	if len(files) < 3 {
		t.Fatalf("alert policies: %v, want at least error rate, latency and throttles", files)
	}
	for _, f := range files {
		v := readJSON(t, f)
		report(t, f, check("AlertPolicy", v, gcpAlertPolicy))
		for _, c := range v.(map[string]any)["conditions"].([]any) {
			th := c.(map[string]any)["conditionThreshold"].(map[string]any)
			for _, k := range []string{"duration"} {
				if d, _ := th[k].(string); !regexp.MustCompile(`^\d+s$`).MatchString(d) {
					t.Errorf("%s: %s %q is not a duration in seconds", f, k, d)
				}
			}
		}
	}
	report(t, "dashboard.json", check("Dashboard", readJSON(t, "gcp/monitoring/dashboard.json"), gcpDashboard))
	// The README's commands name every file.
	readme, _ := os.ReadFile("gcp/README.md")
	for _, f := range append(files, "gcp/monitoring/dashboard.json") {
		if !strings.Contains(string(readme), strings.TrimPrefix(f, "gcp/")) {
			t.Errorf("gcp/README.md has no command for %s", f)
		}
	}
}

// Azure Resource Manager: the resource types the template deploys, with
// the properties their API versions document.
var (
	azDuration   = enum("PT1M", "PT5M", "PT10M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")
	azMetricCrit = obj(map[string]*shape{"criterionType": enum("StaticThresholdCriterion", "DynamicThresholdCriterion"),
		"name": leaf, "metricName": leaf, "metricNamespace": leaf, "dimensions": leaf, "skipMetricValidation": leaf,
		"operator":        enum("Equals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"),
		"threshold":       leaf,
		"timeAggregation": enum("Average", "Count", "Minimum", "Maximum", "Total")})
	azMetricAlert = obj(map[string]*shape{
		"description": leaf, "severity": enum("0", "1", "2", "3", "4"), "enabled": leaf, "scopes": leaf,
		"evaluationFrequency": azDuration, "windowSize": azDuration, "targetResourceType": leaf,
		"targetResourceRegion": leaf, "autoMitigate": leaf,
		"actions": arr(obj(map[string]*shape{"actionGroupId": leaf, "webHookProperties": leaf})),
		"criteria": obj(map[string]*shape{
			"odata.type": enum("Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
				"Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria", "Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria"),
			"allOf": arr(azMetricCrit), "webTestId": leaf, "componentId": leaf, "failedLocationCount": leaf}),
	})
	azQueryRule = obj(map[string]*shape{
		"displayName": leaf, "description": leaf, "severity": enum("0", "1", "2", "3", "4"), "enabled": leaf,
		"scopes": leaf, "evaluationFrequency": azDuration, "windowSize": azDuration, "targetResourceTypes": leaf,
		"overrideQueryTimeRange": leaf, "muteActionsDuration": leaf, "autoMitigate": leaf, "skipQueryValidation": leaf,
		"checkWorkspaceAlertsStorageConfigured": leaf, "kind": leaf,
		"actions": obj(map[string]*shape{"actionGroups": leaf, "customProperties": freeKeys, "actionProperties": freeKeys}),
		"criteria": obj(map[string]*shape{"allOf": arr(obj(map[string]*shape{
			"query": leaf, "metricMeasureColumn": leaf, "resourceIdColumn": leaf, "dimensions": leaf, "threshold": leaf,
			"timeAggregation": enum("Average", "Count", "Maximum", "Minimum", "Total"),
			"operator":        enum("Equals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"),
			"failingPeriods":  obj(map[string]*shape{"numberOfEvaluationPeriods": leaf, "minFailingPeriodsToAlert": leaf}),
		}))}),
	})
	azWebTest = obj(map[string]*shape{
		"SyntheticMonitorId": leaf, "Name": leaf, "Description": leaf, "Enabled": leaf, "Frequency": enum("300", "600", "900"),
		"Timeout": leaf, "Kind": enum("standard", "ping", "multistep"), "RetryEnabled": leaf, "Configuration": leaf,
		"Locations": arr(obj(map[string]*shape{"Id": leaf})),
		"Request": obj(map[string]*shape{"RequestUrl": leaf, "Headers": leaf, "HttpVerb": enum("GET", "HEAD", "POST"),
			"RequestBody": leaf, "ParseDependentRequests": leaf, "FollowRedirects": leaf}),
		"ValidationRules": obj(map[string]*shape{"ExpectedHttpStatusCode": leaf, "IgnoreHttpStatusCode": leaf,
			"ContentValidation": leaf, "SSLCheck": leaf, "SSLCertRemainingLifetimeCheck": leaf}),
	})
	azActionGroup = obj(map[string]*shape{"groupShortName": leaf, "enabled": leaf, "emailReceivers": arr(obj(map[string]*shape{
		"name": leaf, "emailAddress": leaf, "useCommonAlertSchema": leaf})), "smsReceivers": leaf, "webhookReceivers": leaf,
		"azureAppPushReceivers": leaf, "armRoleReceivers": leaf})
	azResource = map[string]*shape{
		"Microsoft.Insights/metricAlerts":        azMetricAlert,
		"Microsoft.Insights/scheduledQueryRules": azQueryRule,
		"Microsoft.Insights/webtests":            azWebTest,
		"Microsoft.Insights/actionGroups":        azActionGroup,
	}
	azTemplate = obj(map[string]*shape{"$schema": leaf, "contentVersion": leaf, "metadata": leaf, "parameters": freeKeys,
		"variables": freeKeys, "outputs": freeKeys, "functions": leaf, "apiProfile": leaf, "resources": leaf})
	azResourceEnvelope = obj(map[string]*shape{"type": leaf, "apiVersion": leaf, "name": leaf, "location": leaf,
		"dependsOn": leaf, "tags": freeKeys, "properties": leaf, "kind": leaf, "condition": leaf, "comments": leaf})
)

func TestAzureMonitoringDefinitions(t *testing.T) {
	const f = "azure/monitoring/monitoring.json"
	v := readJSON(t, f)
	report(t, f, check("template", v, azTemplate))
	types := map[string]int{}
	for i, r := range v.(map[string]any)["resources"].([]any) {
		m := r.(map[string]any)
		path := fmt.Sprintf("resources[%d]", i)
		report(t, f, check(path, m, azResourceEnvelope))
		typ, _ := m["type"].(string)
		s, ok := azResource[typ]
		if !ok {
			t.Errorf("%s: %s: resource type %q is not one this test knows", f, path, typ)
			continue
		}
		types[typ]++
		report(t, f, check(path+".properties("+typ+")", m["properties"], s))
	}
	if types["Microsoft.Insights/metricAlerts"] < 2 || types["Microsoft.Insights/webtests"] != 1 || types["Microsoft.Insights/scheduledQueryRules"] < 2 {
		t.Errorf("%s deploys %v: want metric alerts, log alerts (error rate, p95) and an availability test", f, types)
	}
	readme, _ := os.ReadFile("azure/README.md")
	if !strings.Contains(string(readme), "az deployment group create") || !strings.Contains(string(readme), "monitoring/monitoring.json") {
		t.Error("azure/README.md has no az command deploying monitoring/monitoring.json")
	}
}

// CloudWatch dashboard body structure (the CloudWatch API reference's
// "Dashboard Body Structure and Syntax").
var cwDashboard = obj(map[string]*shape{
	"start": leaf, "end": leaf, "periodOverride": enum("auto", "inherit"), "variables": leaf,
	"widgets": arr(obj(map[string]*shape{
		"type": enum("metric", "text", "log", "alarm", "explorer", "custom"),
		"x":    leaf, "y": leaf, "width": leaf, "height": leaf,
		"properties": obj(map[string]*shape{
			// metric widgets
			"accountId": leaf, "annotations": leaf, "liveData": leaf, "legend": leaf, "metrics": leaf,
			"period": leaf, "region": leaf, "stat": leaf, "title": leaf, "stacked": leaf, "yAxis": leaf,
			"setPeriodToTimeRange": leaf, "sparkline": leaf, "trend": leaf, "labels": leaf, "table": leaf,
			"singleValueFullPrecision": leaf, "timezone": leaf,
			"view": enum("timeSeries", "singleValue", "gauge", "bar", "pie", "table"),
			// text widgets
			"markdown": leaf, "background": leaf,
			// log widgets
			"query": leaf,
			// alarm widgets
			"alarms": leaf, "sortBy": leaf, "states": leaf,
		}),
	})),
})

func TestCloudWatchDashboardAndAlarms(t *testing.T) {
	b, err := os.ReadFile("aws/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := string(b)
	_, rest, ok1 := strings.Cut(tmpl, "# DASHBOARD-BODY-BEGIN")
	block, _, ok2 := strings.Cut(rest, "# DASHBOARD-BODY-END")
	if !ok1 || !ok2 {
		t.Fatal("template.yaml: no DASHBOARD-BODY-BEGIN/END markers around the dashboard body")
	}
	_, body, _ := strings.Cut(block, "DashboardBody: !Sub |\n")
	// !Sub substitutes ${Name}, ${Name.Attr} and ${AWS::Pseudo}: each must
	// exist; then the body must be JSON.
	names := map[string]bool{"AWS::Region": true, "AWS::StackName": true, "AWS::AccountId": true, "AWS::URLSuffix": true}
	for _, m := range regexp.MustCompile(`(?m)^  ([A-Za-z0-9]+):\s*$`).FindAllStringSubmatch(tmpl, -1) {
		names[m[1]] = true
	}
	sub := regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(\.[A-Za-z]+)?\}`)
	for _, m := range sub.FindAllStringSubmatch(body, -1) {
		if !names[m[1]] {
			t.Errorf("dashboard body: ${%s} names no parameter or resource", m[1])
		}
	}
	var v any
	if err := json.Unmarshal([]byte(sub.ReplaceAllString(body, "0")), &v); err != nil {
		t.Fatalf("dashboard body is not JSON after substitution: %v", err)
	}
	report(t, "template.yaml DashboardBody", check("DashboardBody", v, cwDashboard))
	widgets := map[string]bool{}
	for _, w := range v.(map[string]any)["widgets"].([]any) {
		p := w.(map[string]any)["properties"].(map[string]any)
		if title, ok := p["title"].(string); ok {
			widgets[title] = true
		}
	}
	for _, want := range []string{"Invocations over time", "Error rate (5xx, %)", "Latency: average and p95 (ms)", "Alarms"} {
		if !widgets[want] {
			t.Errorf("dashboard has no %q widget", want)
		}
	}
	for _, want := range []string{"MetricName: 5xx", "MetricName: Latency", "ExtendedStatistic: p95", "MetricName: Throttles", "Type: AWS::CloudWatch::Dashboard"} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("template.yaml lacks %q", want)
		}
	}
}

// TestNoSecretsInTemplatesOrSettings checks that the JWT secret and the API
// keys are referenced, never written, in the deployable files.
func TestNoSecretsInTemplatesOrSettings(t *testing.T) {
	tmpl, _ := os.ReadFile("aws/template.yaml")
	for _, v := range []string{"TODO_JWT_SECRET:", "TODO_API_KEYS:"} {
		if strings.Contains(string(tmpl), v) {
			t.Errorf("aws/template.yaml sets %s in the function's environment; it belongs in Secrets Manager (TODO_SECRET_ID)", v)
		}
	}
	if !strings.Contains(string(tmpl), "TODO_SECRET_ID: !Ref TodoSecret") {
		t.Error("aws/template.yaml does not pass the secret's ARN as TODO_SECRET_ID")
	}
	var settings struct{ Values map[string]string }
	if err := json.Unmarshal(mustRead(t, "azure/local.settings.json.example"), &settings); err != nil {
		t.Fatal(err)
	}
	for k := range settings.Values {
		if k == "TODO_JWT_SECRET" || k == "TODO_API_KEYS" {
			t.Errorf("azure/local.settings.json.example holds %s", k)
		}
	}
	if az := string(mustRead(t, "azure/README.md")); !strings.Contains(az, "TODO_API_KEYS=@Microsoft.KeyVault(") || !strings.Contains(az, "TODO_JWT_SECRET=@Microsoft.KeyVault(") {
		t.Error("azure/README.md does not set the secrets as Key Vault references")
	}
	if gcp := string(mustRead(t, "gcp/README.md")); !strings.Contains(gcp, "--set-secrets=TODO_API_KEYS=todo-api-keys:latest,TODO_JWT_SECRET=todo-jwt-secret:latest") {
		t.Error("gcp/README.md does not map the secrets with --set-secrets")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckFindsUndocumentedFields makes sure the checks above can fail:
// a misspelt field, a wrong enum value and a wrong shape are reported.
func TestCheckFindsUndocumentedFields(t *testing.T) {
	var v any
	json.Unmarshal([]byte(`{"displayName":"x","combiner":"XOR","conditions":[{"conditionThreshold":{"filtre":"a","aggregations":{}}}]}`), &v)
	errs := check("AlertPolicy", v, gcpAlertPolicy)
	want := []string{`combiner: "XOR" is not one of`, `aggregations: not an array`, `field "filtre" is not documented`} // keys in sorted order
	if len(errs) != len(want) {
		t.Fatalf("errors %q, want %d", errs, len(want))
	}
	for i, w := range want {
		if !strings.Contains(errs[i], w) {
			t.Errorf("error %d = %q, want it to contain %q", i, errs[i], w)
		}
	}
}
