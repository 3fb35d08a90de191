{{/* Labels every object of the chart carries. */}}
{{- define "weft.labels" -}}
app.kubernetes.io/part-of: weft
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* An image reference: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "weft.image" -}}
{{ .image.repository }}:{{ .image.tag | default .root.Chart.AppVersion }}
{{- end -}}

{{/* The control plane Service's DNS name, which its serving certificate carries. */}}
{{- define "weft.controlHost" -}}
weft-control.{{ .Release.Namespace }}.svc
{{- end -}}

{{/* Prometheus scrape annotations for a pod serving /metrics on a port. */}}
{{- define "weft.scrapeAnnotations" -}}
{{- if .root.Values.prometheus.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* The audience of the tokens agents present to the control plane: a token for the API server (or anyone else) is refused. */}}
{{- define "weft.tokenAudience" -}}
weft-control
{{- end -}}
