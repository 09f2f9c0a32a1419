# Check for interactive bash and that we haven't already been sourced.
if [ -n "${BASH_VERSION-}" ] && [ -n "${PS1-}" ] && [ -z "${BASH_COMPLETION_VERSINFO-}" ]; then
    :
fi
