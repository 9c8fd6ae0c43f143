# A minimal production image: `docker build -t empathy-bot .` then
#   docker run -p 3000:3000 -v empathy-data:/data --env-file .env empathy-bot
# The SQLite store lives in the /data volume (keep it, back it up). One container per store file
# until the PostgreSQL store lands. Not built by the project's CI (its machines have no Docker).

# Build stage: the production dependencies (better-sqlite3 and @ast-grep/napi are native; their
# prebuilt binaries are used when available, else the compilers below build them) and lib/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm ci` runs `prepare`, which compiles src/ to lib/ with the compiler (a production dependency).
RUN npm ci --omit=dev && npm cache clean --force

# Runtime stage: no compilers, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATABASE_URL=sqlite:/data/empathy.sqlite
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY package.json app.yml ./
COPY rules ./rules
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "lib/main.js"]
