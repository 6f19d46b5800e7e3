// Starts Swagger UI on /docs with the service's OpenAPI document (a file, so that the page
// needs no inline script under its Content-Security-Policy).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
