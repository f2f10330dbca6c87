# peakready's one image: every subcommand (fake, integrator, run, dlq, ...) from one
# FROM-scratch image, GoReleaser style: the binary is built on the host first, so this
# file needs no base image and no registry.
#
#   make image                        # builds bin/image/ (the context) and the image
#   docker run --rm IMAGE fake netsuite --addr 0.0.0.0:8080
#
# The context (bin/image/, written by `make image`) holds:
#   peakready              static linux binary (CGO_ENABLED=0, -trimpath, version ldflags)
#   ca-certificates.crt    the host's CA bundle, for calls to real NetSuite/Shopify/Salesforce
#   passwd, group          the non-root user 65532 (nonroot)
#   tmp/ (1777), work/     a temporary directory, and the working directory for reports
FROM scratch

ARG VERSION=dev
LABEL org.opencontainers.image.title="peakready" \
      org.opencontainers.image.description="Fake Shopify/NetSuite/Salesforce servers, a reference integrator and a scenario runner for peak-traffic launch gates" \
      org.opencontainers.image.source="https://github.com/peakready/peakready" \
      org.opencontainers.image.version="${VERSION}"

COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY passwd group /etc/
COPY tmp/ /tmp/
COPY --chown=65532:65532 work/ /work/
COPY peakready /usr/local/bin/peakready

# Numeric, so a runtime that enforces runAsNonRoot can check it without /etc/passwd.
USER 65532:65532
WORKDIR /work
ENV HOME=/work
# The integrator listens on every interface of the container (its flag default is
# loopback, right for a laptop, useless in a container). Fakes take --addr.
ENV PEAKREADY_ADDR=0.0.0.0:8080
EXPOSE 8080

ENTRYPOINT ["/usr/local/bin/peakready"]
CMD ["--help"]
