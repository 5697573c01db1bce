# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN powershell -Command `
    Write-Host hello
  USER ContainerAdministrator
HEALTHCHECK --interval=30s CMD ["curl", "-f", "http://localhost/"]
